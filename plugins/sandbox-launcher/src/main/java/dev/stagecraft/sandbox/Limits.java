package dev.stagecraft.sandbox;

/**
 * The resource limits of one environment: memory, CPU and pids on its cgroup; {@code diskBytes} (zero: none) the
 * size of its {@link DiskVolume}, its largest file and the most its tmpfs may hold.
 */
record Limits(long memoryBytes, double cpus, long pids, long diskBytes) {
    Limits(long memoryBytes, double cpus, long pids) {
        this(memoryBytes, cpus, pids, 0);
    }

    static final long CFS_PERIOD_US = 100_000;

    long cfsQuotaUs() {
        return Math.max(1000, Math.round(cpus * CFS_PERIOD_US));
    }
}
