package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor's view (probe), describe() and bad input: NVML missing, a version mismatch, a GPU that vanished, bad keys. */
class TestGpuProbe {
    @TempDir
    Path stateDir;
    @TempDir
    Path hostDir;

    @Test
    void listsTheGpusAndTheDriver() {
        GpuProvider provider = GpuFixtures.provider(stateDir, GpuFixtures.host(hostDir, 1));
        ProviderHealth health = provider.probe();
        assertThat(health.available()).as(health.reason()).isTrue();
        assertThat(health.reason()).startsWith("1 GPU(s), 1 allocatable, driver 580.159.04, CUDA 13.0; ");
        assertThat(health.details()).containsEntry("driver", "580.159.04").containsEntry("cuda", "13.0")
                .containsKey("nvml").containsKey("bwrap")
                .containsEntry("gpu0", "NVIDIA H200, " + FakeNvml.H200_UUID + ", 143771 MiB, compute capability 9.0, MIG off, free");
    }

    @Test
    void listsMigInstances() {
        GpuProvider provider = GpuFixtures.provider(stateDir,
                GpuFixtures.host(hostDir, FakeNvml.resource("fake-nvml/h200-mig.data"), 1));
        ProviderHealth health = provider.probe();
        assertThat(health.details().get("gpu0")).endsWith("MIG on (7 instances)");
        assertThat(health.details().get("gpu0/gi7/ci0")).startsWith("NVIDIA H200 MIG 1g.18gb, MIG-").endsWith(", 17971 MiB, free");
        assertThat(provider.describe().ceiling().gpus()).isEqualTo(7);
    }

    @Test
    void withoutNvmlItIsUnavailableInOneLineAndCannotAttachGpus() {
        GpuProvider provider = GpuFixtures.provider(stateDir, GpuFixtures.host(hostDir, 1),
                Map.of("nvml-library", hostDir.resolve("absent/libnvidia-ml.so.1").toString()));
        ProviderHealth health = provider.probe();
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).startsWith("NVML not found: ").doesNotContain("\n");
        assertThat(health.remedies()).isNotEmpty();
        ProviderCapabilities c = provider.describe();
        assertThat(c.gpu()).as("selection drops it for --gpus").isFalse();
        assertThatThrownBy(() -> provider.create(GpuFixtures.spec(1))).isInstanceOf(ProvisioningException.class)
                .hasMessageStartingWith("gpu '").hasMessageContaining("NVML not found: ");
    }

    @Test
    void aVersionMismatchIsTheReason() {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 1);
        host.nvml().data("init-error 18\n" + FakeNvml.gpus(1));
        ProviderHealth health = GpuFixtures.provider(stateDir, host).probe();
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("version mismatch").contains("reboot");
    }

    @Test
    void aGpuThatVanishedWhileHeldIsShown() {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 2);
        GpuProvider provider = GpuFixtures.provider(stateDir, host);
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(2));
        host.nvml().data(FakeNvml.gpus(1));
        GpuProvider later = GpuFixtures.provider(stateDir, host);
        assertThat(later.probe().details()).containsEntry("vanished " + FakeNvml.uuid(1),
                "held by environment " + env.id() + " but no longer reported by NVML");
        env.destroy();
        provider.close();
        later.close();
    }

    @Test
    void badSettingsAreOneLine() {
        assertThatThrownBy(() -> new GpuProvider().initialize(new ProviderContext("t", stateDir,
                new Settings("test", "providers.gpu", Map.of("device-root", "dev")))))
                .isInstanceOf(StagecraftException.class).hasMessageContaining("device-root").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> new GpuProvider().initialize(new ProviderContext("t", stateDir,
                new Settings("test", "providers.gpu", Map.of("gpus", "0")))))
                .isInstanceOf(StagecraftException.class).hasMessageContaining("gpus");
    }

    @Test
    void limitsGiveTheConfiguredGpusWhenTheRequirementNamesNone() {
        GpuProvider provider = GpuFixtures.provider(stateDir, GpuFixtures.host(hostDir, 1));
        assertThat(provider.limitsFor(dev.stagecraft.api.EnvironmentRequirement.builder().build()).gpus()).isEqualTo(1);
        assertThat(provider.limitsFor(dev.stagecraft.api.EnvironmentRequirement.builder().gpus(3).build()).gpus()).isEqualTo(3);
    }
}
