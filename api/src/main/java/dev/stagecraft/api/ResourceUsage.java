package dev.stagecraft.api;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * One sample of an environment's resource use. Fields a provider cannot measure are -1.
 *
 * @param cpuPercent     CPU use since the previous sample, 100 = one full core
 * @param memoryBytes    memory in use now
 * @param memoryLimit    the memory limit, or -1 when none
 * @param networkRxBytes bytes received since creation
 * @param networkTxBytes bytes sent since creation
 * @param pids           processes (or threads) alive now
 * @param sampledAt      when the sample was taken
 * @param gpuPercent     utilisation of the environment's GPUs (their mean, NVML's last sample period), or -1
 * @param gpuMemoryBytes GPU memory held by the environment's own processes, or -1
 */
public record ResourceUsage(double cpuPercent, long memoryBytes, long memoryLimit, long networkRxBytes,
                            long networkTxBytes, long pids, Instant sampledAt, double gpuPercent, long gpuMemoryBytes) {
    public ResourceUsage {
        requireNonNull(sampledAt, "sampledAt is null");
    }

    /** A sample of an environment without GPUs. */
    public ResourceUsage(double cpuPercent, long memoryBytes, long memoryLimit, long networkRxBytes,
                         long networkTxBytes, long pids, Instant sampledAt) {
        this(cpuPercent, memoryBytes, memoryLimit, networkRxBytes, networkTxBytes, pids, sampledAt, -1, -1);
    }

    /** This sample with the GPU fields set. */
    public ResourceUsage withGpu(double percent, long memory) {
        return new ResourceUsage(cpuPercent, memoryBytes, memoryLimit, networkRxBytes, networkTxBytes, pids, sampledAt,
                percent, memory);
    }

    public static ResourceUsage unknown(Instant at) {
        return new ResourceUsage(-1, -1, -1, -1, -1, -1, at);
    }

    /** Memory in use as a percentage of the limit, or -1. */
    public double memoryPercent() {
        return memoryBytes < 0 || memoryLimit <= 0 ? -1 : 100.0 * memoryBytes / memoryLimit;
    }
}
