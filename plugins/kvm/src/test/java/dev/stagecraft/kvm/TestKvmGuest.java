package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only a VM provider promises, checked from outside with virsh: the guest runs its own kernel, has no
 * network interface but lo, carries the labels in its domain metadata, and leaves nothing behind. One VM is
 * shared by the read-only checks (each boot costs seconds under TCG); the cleanup check makes its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestKvmGuest {
    @TempDir
    static Path stateDir;

    private KvmProvider provider;
    private EnvironmentSpec spec;
    private ExecutionEnvironment env;

    @BeforeAll
    void boot() {
        provider = KvmFixtures.provider(stateDir);
        BackendRequirement.require(provider);
        spec = newSpec();
        env = provider.create(spec);
    }

    @AfterAll
    void tearDown() {
        if (env != null) {
            env.destroy();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private EnvironmentSpec newSpec() {
        String id = "kvmtest-" + UUID.randomUUID().toString().substring(0, 8);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("test")
                .securityLevel(SecurityLevel.CRITICAL).label("purpose", "kvm <guest> & \"quotes\"").build();
        Labels labels = Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, "kvm")
                .with(Labels.USER_PREFIX + "purpose", "kvm <guest> & \"quotes\"");
        return new EnvironmentSpec(id, requirement, IsolationLevel.VM, labels);
    }

    /** What a root shell in the guest prints (the provider's own helper channel, not a user's command). */
    private String asRoot(String script) {
        try {
            GuestAgent.HelperResult result = new GuestAgent(provider.libvirt().lookup(DomainXml.domainName(env.id()))
                    .orElseThrow(), env.id()).helper(script, java.util.List.of());
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            return result.stdout();
        } catch (org.libvirt.LibvirtException e) {
            throw new AssertionError(e);
        }
    }

    private ExecResult sh(String script) {
        return env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(60)).build());
    }

    @Test
    void unameShowsTheGuestKernelNotTheHosts() throws IOException {
        ExecResult result = env.execute(ExecRequest.builder("uname", "-r").timeout(Duration.ofSeconds(60)).build());
        assertThat(result.exitCode()).isZero();
        String guestKernel = result.stdoutText().trim();
        Path version = KvmSettings.DEFAULT_IMAGES.resolve("kernel.version");
        if (Files.exists(version)) {
            assertThat(guestKernel).isEqualTo(Files.readString(version).trim());
        }
        assertThat(guestKernel).endsWith("-cloud-amd64");
        assertThat(guestKernel).as("the host runs another kernel").isNotEqualTo(System.getProperty("os.version"));
    }

    @Test
    void noNetworkInterfaceButLoopback() {
        ExecResult result = sh("ls /sys/class/net");
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdoutText().trim().split("\\s+")).containsExactly("lo");
        String xml = KvmFixtures.virsh("dumpxml", DomainXml.domainName(spec.id()));
        assertThat(xml).doesNotContain("<interface");
        assertThat(env.usage().networkRxBytes()).as("no interface: nothing received").isZero();
    }

    @Test
    void domainMetadataCarriesTheLabels() {
        String xml = KvmFixtures.virsh("dumpxml", DomainXml.domainName(spec.id()));
        assertThat(xml).contains(DomainXml.NAMESPACE);
        assertThat(DomainXml.labels(xml).values()).containsAllEntriesOf(spec.labels().values());
        assertThat(DomainXml.type(xml)).isEqualTo(provider.domainType());
        assertThat(xml).contains("<name>stagecraft-" + spec.id() + "</name>");
    }

    @Test
    void probeReportsTheDomainTypeAndBootTime() {
        ProviderHealth health = provider.probe();
        assertThat(health.available()).isTrue();
        assertThat(health.details()).containsEntry("domain-type", provider.domainType()).containsKey("boot-to-ready");
        assertThat(provider.domainType()).isIn("kvm", "qemu");
        assertThat(provider.describe().startupEstimate()).as("measured, not the 30 s seed")
                .isEqualTo(provider.measuredBootToReady().orElseThrow());
        assertThat(provider.describe().network()).isFalse();
        assertThat(provider.describe().persistentStorage()).as("the base workspace image is built by the setup").isTrue();
        assertThat(health.details().get("workspace")).startsWith("disk, kept across stop and start");
    }

    @Test
    void largeFilesAndStdinRoundTrip() {
        byte[] data = new byte[1_500_000];
        new java.util.Random(7).nextBytes(data);
        env.putFile("big/blob.bin", data);
        assertThat(env.getFile("big/blob.bin", data.length + 10)).isEqualTo(data);
        ExecResult md5 = env.execute(ExecRequest.builder("md5sum").stdin(data).timeout(Duration.ofSeconds(60)).build());
        ExecResult same = sh("md5sum < big/blob.bin");
        assertThat(md5.stdoutText().split(" ")[0]).isEqualTo(same.stdoutText().split(" ")[0]);
        assertThat(sh("ls /run/stagecraft").stderrText()).as("the commands' user cannot see the private directory")
                .contains("Permission denied");
        assertThat(asRoot("ls /run/stagecraft /tmp").trim().split("\n"))
                .as("no temporary stdin, staging or fifo files left in the guest")
                .containsExactly("/run/stagecraft:", "run-as", "", "/tmp:");
    }

    @Test
    void outputAboveTheConfiguredMaximumIsCappedWithANote() {
        ExecResult result = env.execute(ExecRequest.builder("head", "-c", "3000000", "/dev/zero")
                .outputLimit(5_000_000).timeout(Duration.ofSeconds(60)).build());
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).hasSize(1 << 20);
        assertThat(result.truncated()).isTrue();
        assertThat(result.detail()).contains("max-output");
    }

    @Test
    void networkIsRefusedUnlessConfigured() {
        EnvironmentSpec base = newSpec();
        EnvironmentSpec networked = new EnvironmentSpec(base.id(),
                base.requirement().toBuilder().network(true).build(), IsolationLevel.VM, base.labels());
        Throwable thrown = catchThrowable(() -> provider.create(networked));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
        assertThat(KvmFixtures.virsh("list", "--all", "--name")).doesNotContain(DomainXml.domainName(base.id()));
    }

    @Test
    void destroyLeavesNoDomainAndNoFile() {
        EnvironmentSpec other = newSpec();
        ExecutionEnvironment second = provider.create(other);
        String name = DomainXml.domainName(other.id());
        assertThat(KvmFixtures.virsh("list", "--all", "--name")).contains(name);
        Path log = KvmSettings.DEFAULT_LOGS.resolve(name + ".log");
        boolean logged = Files.exists(log);
        second.destroy();
        assertThat(Arrays.asList(KvmFixtures.virsh("list", "--all", "--name").split("\n"))).doesNotContain(name);
        assertThat(log).as("the serial console log (existed: %s)", logged).doesNotExist();
        assertThat(KvmProviderAccess.definedXmlFiles(name)).isEmpty();
        second.destroy();
        Deadline.await(Duration.ofSeconds(10), "discover() no longer lists " + name,
                () -> provider.discover().stream().noneMatch(e -> e.id().equals(other.id())));
        assertThat(new String(KvmFixtures.virsh("list", "--all", "--name").getBytes(), StandardCharsets.UTF_8))
                .doesNotContain(name);
    }
}
