package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * cgroup v2: one directory under the parent, whose {@code cgroup.subtree_control} must enable the controllers.
 * Killing uses {@code cgroup.kill} (Linux 5.14+) and falls back to freezing and killing each process.
 */
final class CgroupV2 extends EnvironmentCgroup {
    private final Path root;
    private final Path parent;
    private final Path dir;
    private final List<String> controllers;

    CgroupV2(Path root, Path parent, Path dir, List<String> controllers) {
        this.root = root;
        this.parent = parent;
        this.dir = dir;
        this.controllers = controllers;
    }

    @Override
    List<Path> directories() {
        return List.of(dir);
    }

    @Override
    void makeDirectories() throws IOException {
        String enable = String.join(" ", controllers.stream().map(c -> "+" + c).toList());
        Files.createDirectories(parent);
        Path level = root;
        write(level.resolve("cgroup.subtree_control"), enable);
        for (Path segment : root.relativize(parent)) {
            level = level.resolve(segment.toString());
            write(level.resolve("cgroup.subtree_control"), enable);
        }
        Files.createDirectories(dir);
    }

    @Override
    void applyLimits(Limits limits) throws IOException {
        write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        Path swap = dir.resolve("memory.swap.max");
        if (Files.exists(swap)) {
            write(swap, "0");
        }
        write(dir.resolve("pids.max"), Long.toString(limits.pids()));
        if (controllers.contains("cpu")) {
            write(dir.resolve("cpu.max"), limits.cfsQuotaUs() + " " + Limits.CFS_PERIOD_US);
        }
    }

    @Override
    boolean exists() {
        return Files.isDirectory(dir);
    }

    @Override
    List<Path> procsFiles() {
        return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    Set<Long> pids() {
        return readPids(dir.resolve("cgroup.procs"));
    }

    @Override
    void killAll(Duration within) {
        long end = System.nanoTime() + within.toNanos();
        Path kill = dir.resolve("cgroup.kill");
        for (int attempt = 0; ; attempt++) {
            Set<Long> pids = pids();
            if (pids.isEmpty() || System.nanoTime() - end > 0) {
                return;
            }
            try {
                write(kill, "1");
            } catch (IOException e) {
                boolean frozen = freeze("1");
                killEach(pids);
                if (frozen) {
                    freeze("0");
                }
            }
            Pause.beforePoll(attempt);
        }
    }

    private boolean freeze(String value) {
        try {
            write(dir.resolve("cgroup.freeze"), value);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    void remove(Duration within) throws IOException {
        rmdir(dir, within);
    }

    @Override
    long memoryBytes() {
        return readLong(dir.resolve("memory.current"));
    }

    @Override
    long memoryLimit() {
        return readLong(dir.resolve("memory.max"));
    }

    @Override
    long cpuNanos() {
        long usec = readKeyed(dir.resolve("cpu.stat"), "usage_usec");
        return usec < 0 ? -1 : usec * 1000;
    }

    @Override
    long pidsCurrent() {
        return readLong(dir.resolve("pids.current"));
    }

    @Override
    long oomKills() {
        return readKeyed(dir.resolve("memory.events"), "oom_kill");
    }

    @Override
    long pidsLimitHits() {
        return readKeyed(dir.resolve("pids.events"), "max");
    }
}
