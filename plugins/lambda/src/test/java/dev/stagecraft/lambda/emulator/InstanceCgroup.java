package dev.stagecraft.lambda.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroup that holds one execution environment to Lambda's quotas: memory (the function's MemorySize; the OOM killer
 * acts inside it) and processes plus threads. Named {@code stagecraft-lambda-emulator/<instance>} under each
 * controller, so one left by a crash is found by its name. On cgroup v1 it is one directory per controller
 * ({@code memory}, {@code pids}), on v2 one directory with both. The runtime enters it before bubblewrap starts
 * ({@link #enterAndExec}), so every process of the environment is counted from the first.
 */
final class InstanceCgroup implements AutoCloseable {
    static final String PARENT = "stagecraft-lambda-emulator";
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final List<Path> directories;

    private InstanceCgroup(List<Path> directories) {
        this.directories = directories;
    }

    /** Makes the cgroup {@code name} with at most {@code memoryBytes} and {@code processes}. */
    static InstanceCgroup create(String name, long memoryBytes, int processes) {
        try {
            if (Files.exists(ROOT.resolve("cgroup.controllers"))) {
                Path parent = ROOT.resolve(PARENT);
                Files.createDirectories(parent);
                Files.writeString(ROOT.resolve("cgroup.subtree_control"), "+memory +pids");
                Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory +pids");
                Path dir = Files.createDirectories(parent.resolve(name));
                Files.writeString(dir.resolve("memory.max"), Long.toString(memoryBytes));
                Files.writeString(dir.resolve("memory.swap.max"), "0");
                Files.writeString(dir.resolve("pids.max"), Integer.toString(processes));
                return new InstanceCgroup(List.of(dir));
            }
            Path memory = Files.createDirectories(ROOT.resolve("memory").resolve(PARENT).resolve(name));
            Path pids = Files.createDirectories(ROOT.resolve("pids").resolve(PARENT).resolve(name));
            InstanceCgroup cgroup = new InstanceCgroup(List.of(memory, pids));
            Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            Path swap = memory.resolve("memory.memsw.limit_in_bytes");
            if (Files.exists(swap)) {
                Files.writeString(swap, Long.toString(memoryBytes));
            }
            Files.writeString(pids.resolve("pids.max"), Integer.toString(processes));
            return cgroup;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the execution environment's cgroup " + name + " (the emulator"
                    + " runs as root to hold Lambda's memory and process quotas): " + e.getMessage(), e);
        }
    }

    /** Whether this machine lets the emulator make cgroups (root, a writable /sys/fs/cgroup). */
    static boolean available() {
        Path v2 = ROOT.resolve("cgroup.controllers");
        return Files.exists(v2) ? Files.isWritable(ROOT) : Files.isWritable(ROOT.resolve("memory"))
                && Files.isWritable(ROOT.resolve("pids"));
    }

    /** {@code command} started through a shell that moves itself into this cgroup first, then execs the command. */
    List<String> enterAndExec(List<String> command) {
        StringBuilder script = new StringBuilder();
        for (Path dir : directories) {
            script.append("echo $$ > '").append(dir.resolve("cgroup.procs")).append("' && ");
        }
        script.append("exec \"$@\"");
        List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Removes the cgroup once its processes are gone (an emptying cgroup refuses removal for a moment). */
    @Override
    public void close() {
        for (Path dir : directories) {
            for (int attempt = 0; attempt < 50 && Files.exists(dir); attempt++) {
                try {
                    Files.delete(dir);
                } catch (IOException busy) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}
