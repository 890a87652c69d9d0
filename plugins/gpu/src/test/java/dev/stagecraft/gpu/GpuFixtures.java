package dev.stagecraft.gpu;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** A fake GPU host (fake NVML, device nodes) and gpu providers on it, for the tests. */
final class GpuFixtures {
    /** GPUs of the shared fake host the contract tests use. */
    static final int SHARED_GPUS = 8;
    private static Host shared;

    /** A fake host: its NVML, its /dev, its /proc (MIG minors). */
    record Host(FakeNvml nvml, Path dev, Path proc) {
        Map<String, Object> settings() {
            return Map.of("nvml-library", nvml.library().toString(), "device-root", dev.toString(),
                    "proc-root", proc.toString(), "driver-root", dev.getParent().resolve("driver").toString());
        }
    }

    private GpuFixtures() {
    }

    /** A host in {@code dir} with {@code gpus} H200s (MIG off) as captured. */
    static Host host(Path dir, int gpus) {
        return host(dir, FakeNvml.gpus(gpus), gpus);
    }

    static Host host(Path dir, String data, int gpuNodes) {
        FakeNvml nvml = FakeNvml.installText(dir.resolve("nvml"), data);
        Path dev = FakeDevices.make(dir, gpuNodes, 16);
        Path proc = FakeDevices.migMinors(dir);
        try {
            Files.createDirectories(dir.resolve("driver/lib64"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Host(nvml, dev, proc);
    }

    static synchronized Host sharedHost() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("stagecraft-gpu-host");
                shared = host(dir, SHARED_GPUS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** The allocation folder of the providers on {@code stateDir}: shared by them, apart from other tests'. */
    static Path allocations(Path stateDir) {
        return Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-gpu-test-allocations",
                Integer.toHexString(stateDir.toAbsolutePath().toString().hashCode()));
    }

    static GpuProvider provider(Path stateDir, Host host) {
        return provider(stateDir, host, Map.of());
    }

    static GpuProvider provider(Path stateDir, Host host, Map<String, ?> more) {
        Map<String, Object> settings = new HashMap<>(host.settings());
        settings.put("allocation-dir", allocations(stateDir).toString());
        settings.putAll(more);
        GpuProvider provider = new GpuProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.gpu", settings)));
        return provider;
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "gpu-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.CONTAINER,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)));
    }

    static EnvironmentSpec spec(int gpus) {
        return spec(EnvironmentRequirement.builder().gpus(gpus).build());
    }
}
