package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.sandbox.SandboxProvider;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the gpu kind adds to a sandbox on the fake NVML (inventory, locked allocation, device binds): create + one
 * {@code true} + destroy, gpu vs. sandbox, same JVM, interleaved; the medians are printed for docs/providers/gpu.md.
 */
class TestAllocationOverhead {
    private static final int RUNS = 15;

    @TempDir
    Path stateDir;
    @TempDir
    Path hostDir;

    @Test
    void gpuEnvironmentCostsLittleMoreThanASandbox() {
        GpuProvider gpu = GpuFixtures.provider(stateDir.resolve("gpu"), GpuFixtures.host(hostDir, 1));
        BackendRequirement.require(gpu);
        SandboxProvider sandbox = new SandboxProvider();
        sandbox.initialize(new ProviderContext("test", stateDir.resolve("sandbox"), Settings.empty("providers.sandbox")));
        long[] gpuMs = new long[RUNS];
        long[] sandboxMs = new long[RUNS];
        for (int i = 0; i < RUNS + 2; i++) { // two warm-up rounds
            long g = cycle(() -> gpu.create(GpuFixtures.spec(1)));
            long s = cycle(() -> sandbox.create(GpuFixtures.spec(0)));
            if (i >= 2) {
                gpuMs[i - 2] = g;
                sandboxMs[i - 2] = s;
            }
        }
        gpu.close();
        sandbox.close();
        long gpuMedian = median(gpuMs);
        long sandboxMedian = median(sandboxMs);
        System.out.println("allocation overhead (create + true + destroy, median of " + RUNS + "): gpu " + gpuMedian
                + " ms, sandbox " + sandboxMedian + " ms");
        assertThat(gpuMedian).isLessThan(sandboxMedian + 500);
    }

    private static long cycle(java.util.function.Supplier<ExecutionEnvironment> create) {
        long start = System.nanoTime();
        ExecutionEnvironment env = create.get();
        env.execute(ExecRequest.of("true"));
        env.destroy();
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
