package com.example.stagecraft.firejail;

/** CPU use between two samples of a cgroup's CPU time: 100 = one full core; 0 for the first, -1 when unknown. */
final class CpuSampler {
    private long lastCpuNanos = -1;
    private long lastAt;

    synchronized double percentSinceLast(long cpuNanos) {
        long at = System.nanoTime();
        double percent = cpuNanos < 0 ? -1
                : lastCpuNanos < 0 || at <= lastAt ? 0
                : Math.max(0, 100.0 * (cpuNanos - lastCpuNanos) / (at - lastAt));
        lastCpuNanos = cpuNanos;
        lastAt = at;
        return percent;
    }
}
