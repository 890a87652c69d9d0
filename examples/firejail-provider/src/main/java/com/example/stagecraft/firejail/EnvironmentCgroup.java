package com.example.stagecraft.firejail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An environment's cgroup, which firejail 0.9.72 does not make: {@code stagecraft-firejail/<environment id>} in the
 * cgroup v1 hierarchies of memory, pids, cpu and cpuacct. Its name is the environment's id, so a provider started
 * after a crash finds it again from the environment's record; destroy removes it. Every command's wrapper joins it
 * before firejail starts, so the memory, CPU and process limits hold for all the environment's commands together.
 * Only v1 is written here (the host this example was made on); a v2-only host gets no cgroup and no limits.
 */
final class EnvironmentCgroup {
    static final String PARENT = "stagecraft-firejail";
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct");
    /** The kernel's default CFS period of a new cgroup, 100 ms. */
    private static final long CFS_PERIOD_US = 100_000;

    private final Map<String, Path> dirs;

    private EnvironmentCgroup(Map<String, Path> dirs) {
        this.dirs = dirs;
    }

    /** Whether environments get a cgroup here: root, and the v1 memory and pids hierarchies. */
    static boolean available() {
        return !mounts().isEmpty();
    }

    /** The cgroup of environment {@code id}, where the host has the v1 hierarchies and this process may write them. */
    static Optional<EnvironmentCgroup> of(String id) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        mounts().forEach((controller, mount) -> dirs.put(controller, mount.resolve(PARENT).resolve(id)));
        return dirs.isEmpty() ? Optional.empty() : Optional.of(new EnvironmentCgroup(dirs));
    }

    /** The hierarchies an environment's cgroup is made in, by controller (cpu and cpuacct may be one); none: no cgroup. */
    private static Map<String, Path> mounts() {
        Map<String, Path> mounts = new LinkedHashMap<>();
        if (!SandboxUser.hostIsRoot()) {
            return mounts;
        }
        for (String controller : CONTROLLERS) {
            Path mount = ROOT.resolve(controller);
            if (Files.isRegularFile(mount.resolve("cgroup.procs"))) {
                try {
                    mounts.put(controller, mount.toRealPath());
                } catch (IOException unreadable) {
                    // left out, as if absent
                }
            }
        }
        return mounts.containsKey("memory") && mounts.containsKey("pids") ? mounts : Map.of();
    }

    /** Makes it (or takes the one left by an earlier run) and writes the limits; {@code memoryBytes} or {@code cpus} 0: none. */
    void create(long memoryBytes, double cpus, long pids) throws IOException {
        for (Path dir : directories()) {
            Files.createDirectories(dir);
        }
        if (memoryBytes > 0) {
            write(dirs.get("memory").resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            Path memsw = dirs.get("memory").resolve("memory.memsw.limit_in_bytes");
            if (Files.exists(memsw)) {
                write(memsw, Long.toString(memoryBytes)); // no swapping past the limit
            }
        }
        write(dirs.get("pids").resolve("pids.max"), Long.toString(pids));
        if (cpus > 0 && dirs.containsKey("cpu")) {
            write(dirs.get("cpu").resolve("cpu.cfs_quota_us"), Long.toString(Math.round(cpus * CFS_PERIOD_US)));
        }
    }

    boolean exists() {
        return Files.isDirectory(dirs.get("pids"));
    }

    /** The files the wrapper writes its pid into, pids first: every process of the environment is counted there. */
    List<Path> procsFiles() {
        List<Path> files = new ArrayList<>();
        files.add(dirs.get("pids").resolve("cgroup.procs"));
        directories().stream().filter(d -> !d.equals(dirs.get("pids"))).forEach(d -> files.add(d.resolve("cgroup.procs")));
        return files;
    }

    /** Kills every process in it (a fork bomb cannot outgrow pids.max), until none is left or 10 s have passed. */
    void killAll() {
        long end = System.nanoTime() + 10_000_000_000L;
        Path procs = dirs.get("pids").resolve("cgroup.procs");
        for (Set<Long> pids = pidsIn(procs); !pids.isEmpty() && System.nanoTime() < end; pids = pidsIn(procs)) {
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Kills what is left and removes the directories; one that is gone already is fine. */
    void remove() throws IOException {
        killAll();
        for (Path dir : directories()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                } catch (IOException stillBusy) {
                    if (attempt == 100) {
                        throw new IOException("cannot remove cgroup " + dir + ": " + stillBusy.getMessage(), stillBusy);
                    }
                    pause();
                }
            }
        }
    }

    List<Path> directories() {
        return new ArrayList<>(new LinkedHashSet<>(dirs.values()));
    }

    long oomKills() {
        return keyed(dirs.get("memory").resolve("memory.oom_control"), "oom_kill");
    }

    long pidsLimitHits() {
        return keyed(dirs.get("pids").resolve("pids.events"), "max");
    }

    long memoryBytes() {
        return number(dirs.get("memory").resolve("memory.usage_in_bytes"));
    }

    /** The memory limit, or -1 when none was set (v1 reports "no limit" as a huge number). */
    long memoryLimit() {
        long limit = number(dirs.get("memory").resolve("memory.limit_in_bytes"));
        return limit <= 0 || limit >= Long.MAX_VALUE / 2 ? -1 : limit;
    }

    long pidsCurrent() {
        return number(dirs.get("pids").resolve("pids.current"));
    }

    /** CPU time used by the environment's processes, in nanoseconds, or -1 without cpuacct. */
    long cpuNanos() {
        Path cpuacct = dirs.get("cpuacct");
        return cpuacct == null ? -1 : number(cpuacct.resolve("cpuacct.usage"));
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    private static long number(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The number after {@code key} on its line of a counters file such as pids.events, or -1. */
    private static long keyed(Path file, String key) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.US_ASCII)) {
            return lines.filter(line -> line.startsWith(key + " "))
                    .mapToLong(line -> Long.parseLong(line.substring(key.length()).trim()))
                    .findFirst().orElse(-1);
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return -1;
        }
    }

    private static Set<Long> pidsIn(Path procs) {
        Set<Long> pids = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(procs, StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // no cgroup, no processes
        }
        return pids;
    }
}
