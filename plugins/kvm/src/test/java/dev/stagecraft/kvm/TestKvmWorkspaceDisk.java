package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace disk: a per-environment qcow2 overlay of the base workspace image, mounted at /workspace, kept
 * across stop and start, deleted with the environment or, when its domain is gone, by the next discover().
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TestKvmWorkspaceDisk {
    @TempDir
    Path stateDir;

    private KvmProvider provider;
    private final List<ExecutionEnvironment> created = new ArrayList<>();

    @BeforeEach
    void setUp() {
        provider = KvmFixtures.provider(stateDir);
        BackendRequirement.require(provider);
    }

    @AfterEach
    void tearDown() {
        for (ExecutionEnvironment env : created) {
            env.destroy();
        }
        provider.close();
    }

    private EnvironmentSpec newSpec() {
        String id = "kvmdisk-" + UUID.randomUUID().toString().substring(0, 8);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("test")
                .securityLevel(SecurityLevel.CRITICAL).persistentStorage(true).build();
        Labels labels = Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, "kvm");
        return new EnvironmentSpec(id, requirement, IsolationLevel.VM, labels);
    }

    private ExecutionEnvironment create(KvmProvider on, EnvironmentSpec spec) {
        ExecutionEnvironment env = on.create(spec);
        created.add(env);
        return env;
    }

    private static ExecResult sh(ExecutionEnvironment env, String script) {
        return env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(60)).build());
    }

    private Path overlayOf(EnvironmentSpec spec) {
        return KvmSettings.DEFAULT_OVERLAYS.resolve(DomainXml.domainName(spec.id()) + ".qcow2");
    }

    @Test
    void filesWrittenToTheWorkspaceSurviveStopThenStart() {
        EnvironmentSpec spec = newSpec();
        ExecutionEnvironment env = create(provider, spec);
        assertThat(sh(env, "grep ' /workspace ' /proc/mounts").stdoutText())
                .as("the workspace is the virtio disk, not the initramfs").startsWith("/dev/vda /workspace ext4 ");
        assertThat(sh(env, "ls -A").stdoutText()).as("a new workspace is empty (no lost+found)").isEmpty();
        env.putFile("notes/kept.txt", "put before stop\n".getBytes(StandardCharsets.UTF_8));
        assertThat(sh(env, "echo written by a command > made.txt").exitCode()).isZero();

        env.stop();
        assertThat(env.status()).isEqualTo(EnvironmentStatus.STOPPED);
        assertThat(overlayOf(spec)).as("a stopped environment keeps its overlay").exists();
        env.start();

        assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
        assertThat(new String(env.getFile("notes/kept.txt", 1000), StandardCharsets.UTF_8)).isEqualTo("put before stop\n");
        assertThat(sh(env, "cat made.txt").stdoutText()).isEqualTo("written by a command\n");
    }

    @Test
    void aDiskSizeSizesTheWorkspaceAndAWritePastItFailsWithNoSpace() throws Exception {
        provider.workspaceUnavailableReason().ifPresent(why -> BackendRequirement.missing("no workspace disk: " + why));
        assertThat(provider.describe().diskLimit()).isTrue();
        assertThat(provider.probe().details().get("disk")).startsWith("the workspace disk and its filesystem are the requirement's size");
        EnvironmentSpec plain = newSpec();
        EnvironmentSpec spec = new EnvironmentSpec(plain.id(), plain.requirement().toBuilder().diskBytes(200L << 20).build(),
                IsolationLevel.VM, plain.labels());
        ExecutionEnvironment env = create(provider, spec);
        assertThat(WorkspaceOverlay.virtualSize(overlayOf(spec))).as("the disk the guest sees").isEqualTo(200L << 20);
        long kib = Long.parseLong(sh(env, "df -k /workspace | tail -1").stdoutText().trim().split("\\s+")[1]);
        assertThat(kib).as("the filesystem fills the disk, no more").isBetween(150L << 10, 200L << 10);

        ExecResult full = sh(env, "dd if=/dev/zero of=big bs=1M count=300");
        assertThat(full.exitCode()).isNotZero();
        assertThat(full.stderrText()).contains("No space left on device");
        assertThat(sh(env, "rm big && echo still serving > after.txt && cat after.txt").stdoutText()).isEqualTo("still serving\n");
    }

    @Test
    void aLargerBaseIsBuiltOnceWithItsFilesystemGrownToFillIt() throws Exception {
        provider.workspaceUnavailableReason().ifPresent(why -> BackendRequirement.missing("no workspace disk: " + why));
        Path overlays = stateDir.resolve("overlays");
        Path base = KvmSettings.DEFAULT_IMAGES.resolve("workspace.qcow2");
        Path sized = SizedWorkspaceBase.of(base, 6L << 30, overlays);
        assertThat(sized).isNotEqualTo(base.toRealPath());
        assertThat(WorkspaceOverlay.virtualSize(sized)).isEqualTo(6L << 30);
        assertThat(Files.size(sized)).as("only the clusters in use").isLessThan(64L << 20);
        Path raw = stateDir.resolve("check.raw");
        HostTool.run("qemu-img", "", "convert for the test", "convert", "-f", "qcow2", "-O", "raw", sized.toString(), raw.toString());
        Process dump = new ProcessBuilder("dumpe2fs", "-h", raw.toString()).redirectErrorStream(true).start();
        String header = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(dump.waitFor()).isZero();
        assertThat(header).containsPattern("Block count: +" + ((6L << 30) / 4096) + "\n").contains("stagecraft-ws");
        long built = Files.getLastModifiedTime(sized).toMillis();
        assertThat(SizedWorkspaceBase.of(base, 6L << 30, overlays)).isEqualTo(sized);
        assertThat(Files.getLastModifiedTime(sized).toMillis()).as("never rebuilt").isEqualTo(built);
        assertThat(SizedWorkspaceBase.of(base, WorkspaceOverlay.virtualSize(base.toRealPath()), overlays))
                .as("the base's own size needs no copy").isEqualTo(base.toRealPath());
    }

    @Test
    void aDiskSizeOutsideTheBoundsIsRefusedInOneLine() {
        EnvironmentSpec plain = newSpec();
        EnvironmentSpec tiny = new EnvironmentSpec(plain.id(), plain.requirement().toBuilder().diskBytes(16L << 20).build(),
                IsolationLevel.VM, plain.labels());
        assertThatThrownBy(() -> create(provider, tiny)).hasMessage("disk 16m is outside the kvm"
                + " provider's workspace sizes (128m to 64g, providers.kvm.max-workspace-size)");
        assertThat(overlayOf(tiny)).doesNotExist();
    }

    @Test
    void destroyDeletesTheOverlay() throws Exception {
        EnvironmentSpec spec = newSpec();
        ExecutionEnvironment env = create(provider, spec);
        Path overlay = overlayOf(spec);
        assertThat(overlay).exists();
        assertThat(KvmFixtures.virsh("domblklist", DomainXml.domainName(spec.id()))).contains(overlay.toString());
        Path base = KvmSettings.DEFAULT_IMAGES.resolve("workspace.qcow2").toRealPath();
        String disks = KvmFixtures.virsh("domblklist", "--details", DomainXml.domainName(spec.id()));
        assertThat(disks.lines().filter(l -> l.contains(" disk ")).filter(l -> !l.contains(" vdb ")))
                .as("one writable disk only: the overlay").singleElement().asString().contains(overlay.toString());
        assertThat(KvmFixtures.virsh("dumpxml", DomainXml.domainName(spec.id())))
                .as("the only other disk is the shared root image, read-only")
                .containsOnlyOnce("<readonly/>");
        assertThat(Files.readString(overlay, StandardCharsets.ISO_8859_1).substring(0, 4096))
                .as("the overlay is backed by the base's real file, which a rebuild never rewrites")
                .contains(base.toString());

        env.destroy();

        assertThat(overlay).doesNotExist();
        assertThat(KvmFixtures.virsh("list", "--all", "--name")).doesNotContain(DomainXml.domainName(spec.id()));
    }

    @Test
    void anOverlayWhoseDomainIsGoneIsDeletedByDiscover() throws Exception {
        EnvironmentSpec spec = newSpec();
        create(provider, spec);
        String name = DomainXml.domainName(spec.id());
        // a crash between the domain's undefine and the overlay's removal
        KvmFixtures.virsh("destroy", name);
        KvmFixtures.virsh("undefine", name);
        Path overlay = overlayOf(spec);
        assertThat(overlay).exists();
        // and a leftover from a crash between the define and the qemu-img create of another manager
        Path stray = KvmSettings.DEFAULT_OVERLAYS.resolve("stagecraft-kvmdisk-stray-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2");
        Files.write(stray, new byte[512]);

        KvmProvider fresh = KvmFixtures.provider(stateDir);
        try {
            assertThat(fresh.discover()).noneMatch(e -> e.id().equals(spec.id()));
        } finally {
            fresh.close();
        }

        assertThat(overlay).doesNotExist();
        assertThat(stray).doesNotExist();
    }

    @Test
    void withoutTheBaseImageTheWorkspaceIsInRamAndSaysSo() {
        KvmProvider ramOnly = KvmFixtures.provider(stateDir.resolve("ram"),
                Map.of("workspace-image", stateDir.resolve("no-such-base.qcow2").toString()));
        try {
            assertThat(ramOnly.describe().persistentStorage()).isFalse();
            assertThat(ramOnly.describe().diskLimit()).as("a RAM workspace cannot be sized").isFalse();
            assertThat(ramOnly.probe().details().get("disk")).startsWith("not enforced").contains("no-such-base.qcow2");
            assertThat(ramOnly.probe().details().get("workspace")).startsWith("RAM, lost when the VM stops")
                    .contains("no-such-base.qcow2");
            assertThat(ramOnly.probe().reason()).contains("workspace in RAM");
            EnvironmentSpec persistent = newSpec();
            EnvironmentSpec spec = new EnvironmentSpec(persistent.id(),
                    persistent.requirement().toBuilder().persistentStorage(false).build(), IsolationLevel.VM, persistent.labels());
            ExecutionEnvironment env = create(ramOnly, spec);
            assertThat(KvmFixtures.virsh("dumpxml", DomainXml.domainName(spec.id())))
                    .as("no workspace disk: the root image is the only disk").doesNotContain(WorkspaceOverlay.DISK_SERIAL)
                    .doesNotContain("overlays/");
            assertThat(overlayOf(spec)).doesNotExist();
            assertThat(sh(env, "grep ' /workspace ' /proc/mounts | cut -d' ' -f3").stdoutText().trim())
                    .as("/workspace is in RAM: a tmpfs over the read-only root").isEqualTo("tmpfs");
            env.putFile("lost.txt", new byte[] {1});
            env.stop();
            env.start();
            assertThat(sh(env, "ls -A").stdoutText()).as("a RAM workspace starts empty again").isEmpty();
        } finally {
            for (ExecutionEnvironment env : created) {
                env.destroy();
            }
            created.clear();
            ramOnly.close();
        }
    }
}
