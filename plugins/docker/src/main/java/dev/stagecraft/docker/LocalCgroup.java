package dev.stagecraft.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A container's cgroup read straight from this host's cgroup file system (v1 or v2, either Engine cgroup driver),
 * where the Engine is local: a few file reads instead of the Engine's stats endpoint, which (Docker 20.10) makes every
 * request after the first wait about a second for its collector's next tick even with {@code one-shot=true}.
 * Every value is -1 where the file is not there (a remote Engine, another layout).
 */
final class LocalCgroup {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Path cpu;
    private final Path memory;
    private final Path pids;
    private final boolean v2;

    private LocalCgroup(Path cpu, Path memory, Path pids, boolean v2) {
        this.cpu = cpu;
        this.memory = memory;
        this.pids = pids;
        this.v2 = v2;
    }

    /** The cgroup of container {@code containerId} (its full id); found or not. */
    static LocalCgroup of(String containerId) {
        for (String v1 : List.of("docker/" + containerId, "system.slice/docker-" + containerId + ".scope")) {
            if (Files.isDirectory(ROOT.resolve("pids").resolve(v1))) {
                return new LocalCgroup(ROOT.resolve("cpuacct").resolve(v1), ROOT.resolve("memory").resolve(v1),
                        ROOT.resolve("pids").resolve(v1), false);
            }
        }
        for (String v2 : List.of("system.slice/docker-" + containerId + ".scope", "docker/" + containerId)) {
            Path dir = ROOT.resolve(v2);
            if (Files.isRegularFile(dir.resolve("cgroup.procs"))) {
                return new LocalCgroup(dir, dir, dir, true);
            }
        }
        return new LocalCgroup(null, null, null, false);
    }

    boolean found() {
        return pids != null;
    }

    /** Forks and threads refused at the pids limit so far ({@code max} of pids.events), or -1. */
    long pidsLimitHits() {
        return field(pids, "pids.events", "max");
    }

    /** Processes the kernel's OOM killer killed in this cgroup so far, or -1. */
    long oomKills() {
        return v2 ? field(memory, "memory.events", "oom_kill") : field(memory, "memory.oom_control", "oom_kill");
    }

    long pidsCurrent() {
        return number(pids, "pids.current");
    }

    /** CPU time used so far, in nanoseconds, or -1. */
    long cpuNanos() {
        if (v2) {
            long micros = field(cpu, "cpu.stat", "usage_usec");
            return micros < 0 ? -1 : micros * 1000;
        }
        return number(cpu, "cpuacct.usage");
    }

    /** Memory in use without the inactive page cache (what the Engine's stats report), or -1. */
    long memoryBytes() {
        long usage = number(memory, v2 ? "memory.current" : "memory.usage_in_bytes");
        if (usage < 0) {
            return -1;
        }
        long inactive = field(memory, "memory.stat", v2 ? "inactive_file" : "total_inactive_file");
        return Math.max(0, usage - Math.max(0, inactive));
    }

    long memoryLimitBytes() {
        return number(memory, v2 ? "memory.max" : "memory.limit_in_bytes");
    }

    private static long number(Path dir, String file) {
        if (dir == null) {
            return -1;
        }
        try {
            String text = Files.readString(dir.resolve(file)).trim();
            return text.equals("max") ? Long.MAX_VALUE : Long.parseLong(text);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The value of the line {@code key VALUE} of a flat-keyed file, or -1. */
    private static long field(Path dir, String file, String key) {
        if (dir == null) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(dir.resolve(file))) {
                if (line.startsWith(key + " ")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
