package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts that need no libvirtd: settings, the domain XML and its metadata, the JSON of the agent protocol. */
class TestKvmUnits {
    @TempDir
    Path stateDir;

    @Test
    void settingsHaveDefaultsAndNameTheKeyWhenWrong() {
        KvmSettings defaults = KvmSettings.from(Settings.empty("providers.kvm"));
        assertThat(defaults.uri()).isEqualTo("qemu:///system");
        assertThat(defaults.domainType()).isEqualTo("auto");
        assertThat(defaults.memoryBytes()).isEqualTo(256L << 20);
        assertThat(defaults.startupEstimate()).isEmpty();
        assertThat(defaults.network()).isEmpty();
        assertThatThrownBy(() -> KvmSettings.from(new Settings("conf/stagecraft.yaml", "providers.kvm",
                Map.of("domain-type", "xen")))).hasMessageContaining("providers.kvm.domain-type");
        KvmProvider provider = new KvmProvider();
        assertThatThrownBy(() -> provider.initialize(new ProviderContext("t", stateDir,
                new Settings("conf/stagecraft.yaml", "providers.kvm", Map.of("max-output", "8m")))))
                .isInstanceOf(StagecraftException.class).hasMessageContaining("providers.kvm.max-output");
    }

    @Test
    void limitsForAreTheWholeVmsSize() {
        KvmProvider provider = new KvmProvider();
        provider.initialize(new ProviderContext("t", stateDir, new Settings("test", "providers.kvm",
                Map.of("vcpus", "2", "memory", "512m", "memory-overhead", "128m", "uri", "test:///default"))));
        assertThat(provider.limitsFor(EnvironmentRequirement.builder().build()))
                .as("nothing asked: the configured VM").isEqualTo(new Resources(2, 512L << 20, 0, 0));
        assertThat(provider.limitsFor(EnvironmentRequirement.builder().cpus(2.5).memoryBytes(1L << 30).build()))
                .as("whole vCPUs, and the guest's own share on top of the commands' memory")
                .isEqualTo(new Resources(3, (1L << 30) + (128L << 20), 0, 0));
        assertThat(provider.limitsFor(EnvironmentRequirement.builder().memoryBytes(64L << 20).build()).memoryBytes())
                .as("never below the configured VM").isEqualTo(512L << 20);
        provider.close();
    }

    @Test
    void describeUsesTheConfiguredEstimateAndEfficiency() {
        KvmProvider provider = new KvmProvider();
        provider.initialize(new ProviderContext("t", stateDir, new Settings("test", "providers.kvm",
                Map.of("startup-estimate", "12s", "execution-efficiency", "7", "uri", "test:///default"))));
        assertThat(provider.describe().startupEstimate()).isEqualTo(Duration.ofSeconds(12));
        assertThat(provider.describe().executionEfficiency()).isEqualTo(7);
        assertThat(provider.describe().isolationLevels()).containsExactly(dev.stagecraft.api.IsolationLevel.VM);
        provider.close();
    }

    @Test
    void domainXmlEscapesLabelsAndReadsThemBack() {
        Labels labels = Labels.of("me", "abc", Instant.parse("2025-01-01T00:00:00Z"), Duration.ofMinutes(5))
                .with(Labels.USER_PREFIX + "note", "a<b>&'c\"");
        String xml = DomainXml.build(new DomainXml.Definition("stagecraft-abc", "qemu", 256L << 20, 2,
                Path.of("/k"), Path.of("/i"), "console=ttyS0", "pc", labels, Optional.of(Path.of("/l/x.log")), "",
                Optional.of(Path.of("/o/stagecraft-abc.qcow2")), new GuestImage("python", Optional.of(Path.of("/r/python.qcow2")))));
        assertThat(DomainXml.labels(xml)).isEqualTo(labels);
        assertThat(DomainXml.type(xml)).isEqualTo("qemu");
        assertThat(DomainXml.hasInterface(xml)).isFalse();
        assertThat(DomainXml.serialLog(xml)).contains(Path.of("/l/x.log"));
        assertThat(xml).contains("<vcpu placement='static'>2</vcpu>").contains("org.qemu.guest_agent.0");
        assertThat(DomainXml.workspaceDisk(xml)).contains(Path.of("/o/stagecraft-abc.qcow2"));
        assertThat(xml).as("the root image, read-only for QEMU").contains("<source file='/r/python.qcow2'/>"
                + "<target dev='vdb' bus='virtio'/><readonly/><serial>stagecraft-root</serial>");
        String networked = DomainXml.build(new DomainXml.Definition("stagecraft-abc", "kvm", 256L << 20, 1,
                Path.of("/k"), Path.of("/i"), "", "pc", labels, Optional.empty(), "default", Optional.empty(),
                new GuestImage(GuestImage.MINIMAL, Optional.empty())));
        assertThat(DomainXml.hasInterface(networked)).isTrue();
        assertThat(DomainXml.workspaceDisk(networked)).as("workspace in RAM: no disk").isEmpty();
        assertThat(networked).doesNotContain("<disk");
    }

    @Test
    void overlaysAreRecognisedByNameAndBaseImagesByTheirHeader() throws java.io.IOException {
        Path overlay = WorkspaceOverlay.pathFor(stateDir, "stagecraft-abc");
        assertThat(overlay.getFileName().toString()).isEqualTo("stagecraft-abc.qcow2");
        assertThat(WorkspaceOverlay.isOverlayName(overlay)).isTrue();
        assertThat(WorkspaceOverlay.domainOf(overlay)).isEqualTo("stagecraft-abc");
        assertThat(WorkspaceOverlay.isOverlayName(Path.of("/x/workspace.qcow2"))).as("a base image").isFalse();
        assertThat(WorkspaceOverlay.isOverlayName(Path.of("/x/stagecraft-.qcow2"))).isFalse();
        assertThat(WorkspaceOverlay.delete(stateDir.resolve("workspace.qcow2"))).as("never deletes other files").isFalse();

        Path raw = stateDir.resolve("base.raw");
        java.nio.file.Files.write(raw, new byte[4096]);
        assertThat(WorkspaceOverlay.formatOf(raw)).isEqualTo("raw");
        assertThat(WorkspaceOverlay.virtualSize(raw)).isEqualTo(4096);
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(104);
        header.putInt(0, 0x514649fb).putInt(4, 3).putLong(24, 4L << 30);
        Path qcow2 = stateDir.resolve("base.qcow2");
        java.nio.file.Files.write(qcow2, header.array());
        assertThat(WorkspaceOverlay.formatOf(qcow2)).isEqualTo("qcow2");
        assertThat(WorkspaceOverlay.virtualSize(qcow2)).isEqualTo(4L << 30);

        assertThat(WorkspaceOverlay.unavailableReason(stateDir.resolve("missing.qcow2"), stateDir.resolve("overlays")))
                .hasValueSatisfying(why -> assertThat(why).contains("no base workspace image").contains("build-guest.sh"));
    }

    @Test
    void agentRequestsAreWrittenInTheProtocolsOrderAndEscaped() {
        Map<String, Object> arguments = new java.util.LinkedHashMap<>();
        arguments.put("path", "/bin/sh");
        arguments.put("arg", List.of("a\"b\\c\n\u0001", "b c"));
        arguments.put("capture-output", true);
        assertThat(AgentMessages.request("guest-exec", arguments)).isEqualTo("{\"execute\":\"guest-exec\",\"arguments\":"
                + "{\"path\":\"/bin/sh\",\"arg\":[\"a\\\"b\\\\c\\n\\u0001\",\"b c\"],\"capture-output\":true}}");
        assertThat(AgentMessages.request("guest-ping", null)).isEqualTo("{\"execute\":\"guest-ping\"}");
    }

    @Test
    void agentRepliesGiveTheirReturnValue() {
        Object returned = AgentMessages.returned("guest-exec-status",
                "{\"return\":{\"exited\":true,\"exitcode\":3,\"out-data\":\"aGk=\",\"x\":[1,2.5,null]}}");
        Map<String, Object> status = AgentMessages.object(returned, "guest-exec-status reply");
        assertThat(status).containsEntry("exited", true).containsEntry("out-data", "aGk=");
        assertThat(((Number) status.get("exitcode")).intValue()).isEqualTo(3);
        assertThat(AgentMessages.returned("guest-file-open", "{\"return\": 1000}")).isInstanceOf(Number.class);

        assertThat(catchThrowable(() -> AgentMessages.returned("guest-exec", "{\"error\":{\"class\":\"GenericError\"}}")))
                .isInstanceOf(StagecraftException.class).hasMessage("guest agent refused guest-exec: {class=GenericError}");
        assertThat(catchThrowable(() -> AgentMessages.returned("guest-exec", "{\"return\":1")))
                .isInstanceOf(StagecraftException.class).hasMessageStartingWith("guest agent's reply to guest-exec is not JSON")
                .hasMessageNotContaining("\n");
        assertThat(catchThrowable(() -> AgentMessages.object(List.of(), "guest-exec reply")))
                .isInstanceOf(StagecraftException.class).hasMessage("guest-exec reply is not a JSON object: []");
    }
}
