package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** One environment's cgroup (a directory per v1 controller, or one v2 directory): limits, membership, stats. */
abstract class EnvironmentCgroup {
    /** Makes the cgroup and applies the limits. */
    final void create(Limits limits) throws IOException {
        makeDirectories();
        applyLimits(limits);
    }

    /** Makes its directories (and, on v2, enables the controllers above them). */
    abstract void makeDirectories() throws IOException;

    /** Writes the limits into an existing cgroup. */
    abstract void applyLimits(Limits limits) throws IOException;

    /** Its directories: one per v1 hierarchy, or the one v2 directory. */
    abstract List<Path> directories();

    /** Whether it exists on disk. */
    abstract boolean exists();

    /** The {@code cgroup.procs} files a process writes its pid into to join every controller. */
    abstract List<Path> procsFiles();

    /** Every process in the cgroup now. */
    abstract Set<Long> pids();

    /** Kills every process in it, and waits (up to {@code within}) until none is left. */
    abstract void killAll(Duration within);

    /** Removes the cgroup directories (after {@link #killAll}). Missing ones are fine. */
    abstract void remove(Duration within) throws IOException;

    abstract long memoryBytes();

    abstract long memoryLimit();

    /** CPU time used since creation, in nanoseconds, or -1. */
    abstract long cpuNanos();

    abstract long pidsCurrent();

    /** How many times the kernel's OOM killer fired in this cgroup. */
    abstract long oomKills();

    /** How many times a fork failed at the pids limit. */
    abstract long pidsLimitHits();

    // ---- shared helpers ---------------------------------------------------------------------------

    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    static long readLong(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return text.equals("max") ? -1 : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The value of {@code key} in a flat-keyed file such as {@code memory.events}, or -1. */
    static long readKeyed(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(key)) {
                    return Long.parseLong(parts[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static Set<Long> readPids(Path procs) {
        Set<Long> pids = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(procs, StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        } catch (NoSuchFileException e) {
            return pids;
        } catch (IOException | NumberFormatException e) {
            return pids;
        }
        return pids;
    }

    static void killEach(Set<Long> pids) {
        long self = ProcessHandle.current().pid();
        for (long pid : pids) {
            if (pid != self) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Removes a cgroup directory, retrying while the kernel still counts exiting processes in it. */
    static void rmdir(Path dir, Duration within) throws IOException {
        long end = System.nanoTime() + within.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                if (System.nanoTime() - end > 0) {
                    throw new IOException("cannot remove cgroup " + dir + ": " + e.getMessage(), e);
                }
                Pause.beforePoll(attempt);
            }
        }
    }
}
