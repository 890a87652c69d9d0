package dev.stagecraft.gpu;

import dev.stagecraft.api.Settings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The gpu kind's own keys in {@code providers.gpu} (the same section also takes every key of the sandbox's, for
 * the environments: memory, cpus, pids, read-only-paths for toolchains such as {@code /opt/torch}, ...).
 *
 * @param nvmlLibrary     NVML: a soname the dynamic linker finds, or an absolute path
 * @param deviceRoot      where the NVIDIA device nodes are ({@code /dev}; tests point it at nodes they made)
 * @param procRoot        where {@code driver/nvidia-caps/mig-minors} is read from ({@code /proc})
 * @param driverRoot      a folder holding the driver's user-space libraries (e.g. {@code /usr/local/nvidia}), bound
 *                        read-only; null: find them through {@code ldconfig -p}
 * @param allocationDir   the host-wide record of which environment holds which GPU, shared by every Stagecraft
 *                        process on the host
 * @param gpus            GPUs (or MIG instances) an environment gets when its requirement names none
 * @param allocationWait  how long a create waits for a GPU to come free before it fails (zero: fail at once)
 * @param startupEstimate reported to selection
 * @param costPerHour     reported to selection
 */
record GpuSettings(String nvmlLibrary, Path deviceRoot, Path procRoot, Path driverRoot, Path allocationDir, int gpus,
                   Duration allocationWait, Duration startupEstimate, double costPerHour) {

    static GpuSettings from(Settings s) {
        String driverRoot = s.string("driver-root", "");
        if (!driverRoot.isEmpty() && !Path.of(driverRoot).isAbsolute()) {
            throw s.invalid("driver-root", "'" + driverRoot + "' must be an absolute path");
        }
        Duration wait = s.duration("allocation-wait", Duration.ZERO);
        if (wait.isNegative()) {
            throw s.invalid("allocation-wait", "must not be negative");
        }
        double cost = s.number("cost-per-hour", 0);
        if (cost < 0) {
            throw s.invalid("cost-per-hour", "must not be negative");
        }
        return new GpuSettings(s.string("nvml-library", dev.stagecraft.gpu.nvml.Nvml.SONAME),
                absolute(s, "device-root", "/dev"), absolute(s, "proc-root", "/proc"),
                driverRoot.isEmpty() ? null : Path.of(driverRoot),
                absolute(s, "allocation-dir", Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-gpu").toString()),
                (int) s.integer("gpus", 1, 1, 64), wait, s.duration("startup-estimate", Duration.ofSeconds(10)), cost);
    }

    private static Path absolute(Settings s, String key, String defaultValue) {
        Path path = Path.of(s.string(key, defaultValue));
        if (!path.isAbsolute()) {
            throw s.invalid(key, "'" + path + "' must be an absolute path");
        }
        return path;
    }
}
