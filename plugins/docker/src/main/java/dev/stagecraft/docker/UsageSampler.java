package dev.stagecraft.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.ResourceUsage;
import java.time.Instant;
import java.util.Iterator;
import java.util.function.Supplier;

/**
 * The resource usage of one container: from its cgroup on this host when the Engine is local and the container has
 * no network ({@link LocalCgroup}), else from the Engine's stats. CPU % needs the previous sample, kept here.
 */
final class UsageSampler {
    private final Engine engine;
    private final String containerId;
    private final Supplier<LocalCgroup> cgroup;
    private volatile Boolean networked;
    private long lastCpuNanos = -1;
    private long lastSampleNanos;
    private long lastCpuTotal = -1;
    private long lastSystemTotal = -1;

    UsageSampler(Engine engine, String containerId, Supplier<LocalCgroup> cgroup) {
        this.engine = engine;
        this.containerId = containerId;
        this.cgroup = cgroup;
    }

    /** The container's usage now. */
    ResourceUsage usage() {
        Instant now = Instant.now();
        LocalCgroup local = cgroup.get();
        if (local.found() && !networked()) {
            return localUsage(local, now);
        }
        JsonNode stats;
        try {
            stats = engine.getJson("/containers/" + containerId + "/stats?stream=false&one-shot=true");
        } catch (RuntimeException e) {
            return ResourceUsage.unknown(now);
        }
        if (stats == null) {
            return ResourceUsage.unknown(now);
        }
        long cpuTotal = stats.path("cpu_stats").path("cpu_usage").path("total_usage").asLong(-1);
        long systemTotal = stats.path("cpu_stats").path("system_cpu_usage").asLong(-1);
        long cpus = stats.path("cpu_stats").path("online_cpus").asLong(0);
        if (cpus <= 0) {
            cpus = Math.max(1, stats.path("cpu_stats").path("cpu_usage").path("percpu_usage").size());
        }
        double cpuPercent = -1;
        synchronized (this) {
            long preCpu = stats.path("precpu_stats").path("cpu_usage").path("total_usage").asLong(-1);
            long preSystem = stats.path("precpu_stats").path("system_cpu_usage").asLong(-1);
            if (preCpu <= 0 || preSystem <= 0) {
                preCpu = lastCpuTotal;
                preSystem = lastSystemTotal;
            }
            if (cpuTotal >= 0 && systemTotal > 0 && preCpu >= 0 && preSystem > 0 && systemTotal > preSystem) {
                cpuPercent = Math.max(0, (double) (cpuTotal - preCpu) / (systemTotal - preSystem) * cpus * 100.0);
            }
            lastCpuTotal = cpuTotal;
            lastSystemTotal = systemTotal;
        }
        JsonNode memory = stats.path("memory_stats");
        long memoryBytes = memory.path("usage").asLong(-1);
        if (memoryBytes >= 0) {
            long cache = memory.path("stats").path("inactive_file").asLong(memory.path("stats").path("total_inactive_file").asLong(0));
            memoryBytes = Math.max(0, memoryBytes - cache);
        }
        long memoryLimit = memory.path("limit").asLong(-1);
        long rx = -1;
        long tx = -1;
        JsonNode networks = stats.path("networks");
        if (networks.isObject()) {
            rx = 0;
            tx = 0;
            for (Iterator<JsonNode> it = networks.elements(); it.hasNext(); ) {
                JsonNode n = it.next();
                rx += n.path("rx_bytes").asLong(0);
                tx += n.path("tx_bytes").asLong(0);
            }
        }
        long pids = stats.path("pids_stats").path("current").asLong(-1);
        return new ResourceUsage(cpuPercent, memoryBytes, memoryLimit, rx, tx, pids, now);
    }

    /**
     * Usage from the host's cgroup files: CPU % of one core since the previous sample (-1 for the first), memory
     * without the inactive page cache, its limit, pids; no network counters (the container has no network).
     */
    private ResourceUsage localUsage(LocalCgroup local, Instant now) {
        long cpuNanos = local.cpuNanos();
        long sampled = System.nanoTime();
        double cpuPercent = -1;
        synchronized (this) {
            if (cpuNanos >= 0 && lastCpuNanos >= 0 && sampled > lastSampleNanos) {
                cpuPercent = Math.max(0, (double) (cpuNanos - lastCpuNanos) / (sampled - lastSampleNanos) * 100.0);
            }
            lastCpuNanos = cpuNanos;
            lastSampleNanos = sampled;
        }
        long limit = local.memoryLimitBytes();
        return new ResourceUsage(cpuPercent, local.memoryBytes(), limit == Long.MAX_VALUE ? -1 : limit, -1, -1,
                local.pidsCurrent(), now);
    }

    /** What the creator knows: whether the container has a network, so the first sample needs no inspect. */
    void networked(boolean value) {
        networked = value;
    }

    /** Whether the container has a network besides loopback (its counters then come from the Engine's stats). */
    private boolean networked() {
        Boolean known = networked;
        if (known == null) {
            try {
                String mode = engine.client().inspectContainerCmd(containerId).exec().getHostConfig().getNetworkMode();
                known = mode != null && !mode.equals("none");
            } catch (RuntimeException e) {
                return true;
            }
            networked = known;
        }
        return known;
    }
}
