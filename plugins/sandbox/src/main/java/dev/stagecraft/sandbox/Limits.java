package dev.stagecraft.sandbox;

/** The resource limits of one environment, applied to its cgroup. */
record Limits(long memoryBytes, double cpus, long pids) {
    static final long CFS_PERIOD_US = 100_000;

    long cfsQuotaUs() {
        return Math.max(1000, Math.round(cpus * CFS_PERIOD_US));
    }
}
