package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The provider kit's contract on a fake host of {@link GpuFixtures#SHARED_GPUS} H200s, and the GPU additions: the
 * capabilities say GPUs, and each environment holds its own GPU, named in its labels and CUDA_VISIBLE_DEVICES.
 */
class TestGpuProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return GpuFixtures.provider(stateDir, GpuFixtures.sharedHost());
    }

    @Override
    protected Map<String, String> environmentDefaults() {
        return Map.of("HOME", "/home/sandbox", "LANG", "C.UTF-8");
    }

    /** Per environment: its own GPU's UUID, and the driver's library folder. */
    @Override
    protected java.util.Set<String> toleratedEnvNames() {
        java.util.Set<String> names = new java.util.HashSet<>(super.toleratedEnvNames());
        names.addAll(java.util.Set.of("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"));
        return names;
    }

    @Test
    void capabilitiesSayGpusAndTheirCount() {
        ProviderCapabilities c = provider.describe();
        assertThat(c.kind()).isEqualTo("gpu");
        assertThat(c.gpu()).isTrue();
        assertThat(c.ceiling().gpus()).isEqualTo(GpuFixtures.SHARED_GPUS);
        assertThat(c.executionEfficiency()).isEqualTo(10);
    }

    @Test
    void eachEnvironmentHoldsItsOwnGpu() {
        ExecutionEnvironment a = provider.create(GpuFixtures.spec(1));
        ExecutionEnvironment b = provider.create(GpuFixtures.spec(1));
        try {
            String gpuA = a.labels().get(GpuSlot.LABEL).orElseThrow();
            String gpuB = b.labels().get(GpuSlot.LABEL).orElseThrow();
            assertThat(gpuA).isNotEqualTo(gpuB);
            ExecResult seen = a.execute(ExecRequest.of("sh", "-c", "echo $CUDA_VISIBLE_DEVICES $NVIDIA_VISIBLE_DEVICES"));
            String uuid = gpuA.substring(0, gpuA.indexOf('@'));
            assertThat(seen.stdoutText()).isEqualTo(uuid + " " + uuid + "\n");
        } finally {
            a.destroy();
            b.destroy();
        }
    }
}
