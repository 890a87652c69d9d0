package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ResourceUsage;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads what {@link PodScripts#USAGE} printed inside the pod (its own cgroups, so it needs no metrics API, no kubelet
 * summary access and no more RBAC than exec) into a {@link ResourceUsage}. CPU % is the cgroup's CPU time since the
 * previous sample of the same environment over the wall time between them; the first sample has none (-1).
 */
final class CgroupSample {
    /** Above this a v1 memory limit means "none" (the kernel reports a page-rounded LONG_MAX). */
    private static final long NO_LIMIT = 1L << 60;

    private CgroupSample() {
    }

    static ResourceUsage parse(String text, long nanoTime, Instant at, KubernetesEnvironment env) {
        Map<String, String[]> lines = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split(" +");
            if (parts.length >= 2) {
                lines.put(parts[0], parts);
            }
        }
        long cpuNs = number(lines, "cpu-ns", 1);
        double cpuPercent = -1;
        if (cpuNs >= 0) {
            long[] previous = env.swapCpuSample(new long[] {cpuNs, nanoTime});
            if (previous != null && nanoTime > previous[1]) {
                cpuPercent = 100.0 * Math.max(0, cpuNs - previous[0]) / (nanoTime - previous[1]);
            }
        }
        long limit = number(lines, "memory-limit", 1);
        return new ResourceUsage(cpuPercent, number(lines, "memory", 1), limit >= NO_LIMIT ? -1 : limit,
                number(lines, "net", 1), number(lines, "net", 2), number(lines, "pids", 1), at);
    }

    private static long number(Map<String, String[]> lines, String key, int field) {
        String[] parts = lines.get(key);
        if (parts == null || parts.length <= field) {
            return -1;
        }
        try {
            return Long.parseLong(parts[field]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
