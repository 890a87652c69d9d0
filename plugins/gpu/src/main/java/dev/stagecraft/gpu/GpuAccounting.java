package dev.stagecraft.gpu;

import dev.stagecraft.gpu.nvml.Inventory;
import dev.stagecraft.gpu.nvml.Nvml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * An environment's share of its GPUs: NVML's running compute processes on each of its devices, kept when the
 * process belongs to the environment's cgroup (its {@code /proc/<pid>/cgroup} names a cgroup called by the
 * environment's id, as the launcher names them), so two environments on one card (two MIG instances) are told
 * apart; and the devices' utilisation (NVML has none for a MIG instance: then -1).
 */
final class GpuAccounting {
    /** GPU use of one environment; -1 where not known. */
    record Sample(double percent, long memoryBytes) {
        static final Sample UNKNOWN = new Sample(-1, -1);
    }

    private final Supplier<Nvml> nvml;
    private final Path procRoot;

    /** @param nvml NVML, or a supplier returning null when it cannot be loaded */
    GpuAccounting(Supplier<Nvml> nvml, Path procRoot) {
        this.nvml = nvml;
        this.procRoot = procRoot;
    }

    Sample sample(String environmentId, List<GpuSlot> slots) {
        Nvml library = nvml.get();
        if (library == null || slots.isEmpty()) {
            return Sample.UNKNOWN;
        }
        long memory = 0;
        double utilisation = 0;
        int measured = 0;
        try {
            for (GpuSlot slot : slots) {
                for (Inventory.ComputeProcess process : library.processes(slot.uuid())) {
                    if (inCgroupOf(process.pid(), environmentId)) {
                        memory += process.usedBytes();
                    }
                }
                int percent = library.utilisation(slot.uuid());
                if (percent >= 0) {
                    utilisation += percent;
                    measured++;
                }
            }
        } catch (RuntimeException e) {
            return Sample.UNKNOWN; // the GPU vanished or NVML failed: usage says "unknown", doctor says why
        }
        return new Sample(measured == 0 ? -1 : utilisation / measured, memory);
    }

    /** Whether {@code pid}'s cgroup (v2 line, or any v1 hierarchy's) is the environment's or below it. */
    boolean inCgroupOf(long pid, String environmentId) {
        try {
            for (String line : Files.readAllLines(procRoot.resolve(Long.toString(pid)).resolve("cgroup"))) {
                String path = line.substring(line.indexOf(':', line.indexOf(':') + 1) + 1);
                if (path.endsWith("/" + environmentId) || path.contains("/" + environmentId + "/")) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false; // the process ended
        }
        return false;
    }
}
