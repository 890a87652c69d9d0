package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Emptied cgroups of destroyed environments, kept for the next create instead of being removed and made again:
 * on destroy, once no process is left, the environment's cgroup is renamed {@code .spare-<manager pid>-<n>} (under the
 * same parent) while there are fewer than {@link #MAX} spares; a create renames a spare to its own id and writes its
 * limits. Making and removing a memory cgroup costs the kernel work well beyond the mkdir and rmdir themselves
 * (allocating and, later, freeing its per-CPU state), and on a small machine that work competes with the next
 * command. A spare's counters (OOM kills, refused forks, CPU time) carry on from its last environment: the sandbox
 * reads differences only. cgroup v2 cannot rename cgroups: there the first failed rename turns recycling off.
 *
 * <p>Spares of a manager that is gone (its pid in the name) are removed when a provider starts; its own at close, or
 * when the JVM exits without closing it.
 */
final class SpareCgroups {
    static final int MAX = 4;
    static final String PREFIX = ".spare-";
    private static final AtomicLong COUNT = new AtomicLong();
    private static final java.util.Set<SpareCgroups> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Thread hook = new Thread(() -> OPEN.forEach(SpareCgroups::removeAll), "sandbox-spare-cgroups");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException | SecurityException e) {
            // the JVM is exiting already, or may not add hooks: the next start removes them
        }
    }

    private final CgroupHierarchy hierarchy;
    private final Deque<String> spares = new ArrayDeque<>();
    private volatile boolean renames = true;

    SpareCgroups(CgroupHierarchy hierarchy) {
        this.hierarchy = hierarchy;
        OPEN.add(this);
    }

    /** Makes {@code cgroup} with {@code limits}: from a spare when there is one that takes them, else anew. */
    void make(EnvironmentCgroup cgroup, Limits limits) throws IOException {
        String spare;
        while ((spare = take()) != null) {
            EnvironmentCgroup from = hierarchy.forEnvironment(spare);
            try {
                rename(from, cgroup);
                cgroup.applyLimits(limits);
                return;
            } catch (IOException e) {
                // gone (another manager's start removed it) or refusing these limits: remove it and try the next
                removeQuietly(cgroup);
                removeQuietly(from);
            }
        }
        cgroup.create(limits);
    }

    /** Keeps {@code cgroup}, whose processes were killed, as a spare; or removes it when there are enough. */
    void retire(EnvironmentCgroup cgroup, Duration within) throws IOException {
        if (renames && room() && cgroup.exists() && cgroup.pids().isEmpty()) {
            String name = PREFIX + ProcessHandle.current().pid() + "-" + COUNT.incrementAndGet();
            try {
                rename(cgroup, hierarchy.forEnvironment(name));
                synchronized (spares) {
                    spares.push(name);
                }
                return;
            } catch (IOException e) {
                renames = false; // cgroup v2, or a file system that will not: remove cgroups as they go
                removeQuietly(hierarchy.forEnvironment(name));
            }
        }
        cgroup.remove(within);
    }

    /** Removes this provider's spares; later retired cgroups are removed too. */
    void removeAll() {
        renames = false;
        OPEN.remove(this);
        String spare;
        while ((spare = take()) != null) {
            removeQuietly(hierarchy.forEnvironment(spare));
        }
    }

    /** Removes spares whose manager is no longer running (it crashed, or ended without closing its provider). */
    void removeLeftovers() {
        for (Path parent : hierarchy.parentDirectories()) {
            try (Stream<Path> children = Files.list(parent)) {
                for (Path child : children.toList()) {
                    String name = child.getFileName().toString();
                    if (name.startsWith(PREFIX) && !managerAlive(name)) {
                        removeQuietly(hierarchy.forEnvironment(name));
                    }
                }
            } catch (IOException e) {
                // no parent yet: nothing left over
            }
        }
    }

    /** The names of the spares kept now. */
    List<String> names() {
        synchronized (spares) {
            return List.copyOf(spares);
        }
    }

    private static boolean managerAlive(String spare) {
        String[] parts = spare.substring(PREFIX.length()).split("-");
        try {
            return ProcessHandle.of(Long.parseLong(parts[0])).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private boolean room() {
        synchronized (spares) {
            return spares.size() < MAX;
        }
    }

    private String take() {
        synchronized (spares) {
            return spares.poll();
        }
    }

    /** Renames every directory of {@code from} to the matching one of {@code to}; undone when one fails. */
    private static void rename(EnvironmentCgroup from, EnvironmentCgroup to) throws IOException {
        List<Path> sources = from.directories();
        List<Path> targets = to.directories();
        for (int i = 0; i < sources.size(); i++) {
            try {
                Files.move(sources.get(i), targets.get(i));
            } catch (IOException e) {
                for (int j = i - 1; j >= 0; j--) {
                    try {
                        Files.move(targets.get(j), sources.get(j));
                    } catch (IOException ignored) {
                        // left half-renamed: both halves are empty cgroups, removed below by the caller
                    }
                }
                throw e;
            }
        }
    }

    private static void removeQuietly(EnvironmentCgroup cgroup) {
        try {
            cgroup.remove(Duration.ofSeconds(2));
        } catch (IOException | RuntimeException ignored) {
            // an empty cgroup left behind holds nothing; the next start's removeLeftovers tries again
        }
    }
}
