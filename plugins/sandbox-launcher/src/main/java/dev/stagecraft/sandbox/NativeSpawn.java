package dev.stagecraft.sandbox;

import dev.stagecraft.sandbox.libc.LibC;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * Starts a program with posix_spawn(3) and exactly the descriptors asked for: child descriptor {@code i} is the
 * {@code i}-th {@link ChildFd} (a new pipe, or a file opened read-only), and every other descriptor of this JVM is
 * closed in the child ({@code closefrom}), however it was opened. The child starts in a new session, with an empty
 * signal mask and every signal at its default disposition, in {@code /}, with only the environment given.
 *
 * <p>One exec instead of ProcessBuilder's two (it spawns a helper that then executes the program), and descriptors
 * beyond 0-2 — which ProcessBuilder cannot pass.
 */
final class NativeSpawn {
    /** What one child descriptor is. */
    sealed interface ChildFd permits ChildReads, ChildWrites, ReadOnlyFile, WriteOnlyFile {
    }

    /** A pipe the child reads from; the parent keeps the write end. */
    record ChildReads() implements ChildFd {
    }

    /** A pipe the child writes to; the parent keeps the read end. */
    record ChildWrites() implements ChildFd {
    }

    /** A file the child gets open read-only. */
    record ReadOnlyFile(Path path) implements ChildFd {
    }

    /** A file the child gets open write-only (e.g. /dev/null for output nobody reads). */
    record WriteOnlyFile(Path path) implements ChildFd {
    }

    /** A started child: its pid, and the parent's end of each pipe (-1 where the child descriptor is a file). */
    record Spawned(int pid, int[] parentEnds) {
    }

    private static volatile Binding binding;

    private record Binding(LibC libc, Runtime runtime, Pointer attributes) {
    }

    private NativeSpawn() {
    }

    /** Whether this system's C library has everything the launcher needs (glibc 2.34 or later on Linux). */
    static boolean available() {
        try {
            Binding b = libc();
            Pointer actions = Memory.allocateDirect(b.runtime(), LibC.FILE_ACTIONS_SIZE);
            check(b.libc().posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try {
                check(b.libc().posix_spawn_file_actions_addclosefrom_np(actions, 3), "addclosefrom_np");
                check(b.libc().posix_spawn_file_actions_addchdir_np(actions, "/"), "addchdir_np");
            } finally {
                b.libc().posix_spawn_file_actions_destroy(actions);
            }
            return true;
        } catch (LinkageError | RuntimeException | IOException e) {
            return false;
        }
    }

    static LibC lib() {
        return libc().libc();
    }

    static Runtime runtime() {
        return libc().runtime();
    }

    /** Starts {@code argv} ({@code argv[0]} is the program's absolute path) with {@code fds} as its descriptors. */
    static Spawned spawn(List<String> argv, List<String> env, List<ChildFd> fds) throws IOException {
        Binding b = libc();
        LibC c = b.libc();
        int n = fds.size();
        int[] childEnds = new int[n];
        int[] parentEnds = new int[n];
        Arrays.fill(childEnds, -1);
        Arrays.fill(parentEnds, -1);
        Pointer actions = Memory.allocateDirect(b.runtime(), LibC.FILE_ACTIONS_SIZE);
        boolean actionsReady = false;
        boolean started = false;
        try {
            for (int i = 0; i < n; i++) {
                if (fds.get(i) instanceof ReadOnlyFile || fds.get(i) instanceof WriteOnlyFile) {
                    continue;
                }
                int[] pipe = new int[2];
                if (c.pipe2(pipe, LibC.O_CLOEXEC) != 0) {
                    throw new IOException("pipe2: " + errno(b));
                }
                boolean childReads = fds.get(i) instanceof ChildReads;
                childEnds[i] = childReads ? pipe[0] : pipe[1];
                parentEnds[i] = childReads ? pipe[1] : pipe[0];
            }
            check(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            // Two steps, so that no pipe end is overwritten before it is copied: first above every end, then down.
            int high = n;
            for (int end : childEnds) {
                high = Math.max(high, end + 1);
            }
            for (int i = 0; i < n; i++) {
                if (childEnds[i] >= 0) {
                    check(c.posix_spawn_file_actions_adddup2(actions, childEnds[i], high + i), "adddup2");
                }
            }
            for (int i = 0; i < n; i++) {
                if (childEnds[i] >= 0) {
                    check(c.posix_spawn_file_actions_adddup2(actions, high + i, i), "adddup2");
                } else if (fds.get(i) instanceof ReadOnlyFile file) {
                    check(c.posix_spawn_file_actions_addopen(actions, i, file.path().toString(), LibC.O_RDONLY, 0), "addopen");
                } else if (fds.get(i) instanceof WriteOnlyFile file) {
                    check(c.posix_spawn_file_actions_addopen(actions, i, file.path().toString(), LibC.O_WRONLY, 0), "addopen");
                }
            }
            check(c.posix_spawn_file_actions_addclosefrom_np(actions, n), "addclosefrom_np");
            check(c.posix_spawn_file_actions_addchdir_np(actions, "/"), "addchdir_np");
            IntByReference pid = new IntByReference();
            int error = c.posix_spawn(pid, argv.get(0), actions, b.attributes(), argv.toArray(String[]::new),
                    env.toArray(String[]::new));
            if (error != 0) {
                throw new IOException("cannot execute " + argv.get(0) + ": " + strerror(error));
            }
            started = true;
            return new Spawned(pid.intValue(), parentEnds);
        } finally {
            for (int end : childEnds) {
                if (end >= 0) {
                    c.close(end);
                }
            }
            if (actionsReady) {
                c.posix_spawn_file_actions_destroy(actions);
            }
            if (!started) {
                for (int end : parentEnds) {
                    if (end >= 0) {
                        c.close(end);
                    }
                }
            }
        }
    }

    private static void check(int error, String call) throws IOException {
        if (error != 0) {
            throw new IOException(call + ": " + strerror(error));
        }
    }

    static String errno(Binding b) {
        return strerror(LastError.getLastError(b.runtime()));
    }

    static int lastError() {
        return LastError.getLastError(runtime());
    }

    static String strerror(int error) {
        return switch (error) {
            case 1 -> "operation not permitted";
            case 2 -> "no such file or directory";
            case 3 -> "no such process";
            case 9 -> "bad file descriptor";
            case 11 -> "resource temporarily unavailable";
            case 12 -> "out of memory";
            case 13 -> "permission denied";
            case 22 -> "invalid argument";
            case 24 -> "too many open files";
            default -> "errno " + error;
        };
    }

    private static Binding libc() {
        Binding b = binding;
        if (b != null) {
            return b;
        }
        synchronized (NativeSpawn.class) {
            if (binding == null) {
                LibC c = LibraryLoader.create(LibC.class).option(LibraryOption.SaveError, true).failImmediately().load("c");
                Runtime runtime = Runtime.getRuntime(c);
                Pointer attributes = Memory.allocateDirect(runtime, LibC.SPAWN_ATTR_SIZE);
                Pointer empty = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE);
                // Every signal, glibc's internal ones too (sigfillset leaves those out, and the child would keep them ignored).
                Pointer all = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE);
                all.setMemory(0, LibC.SIGSET_SIZE, (byte) 0xff);
                if (c.posix_spawnattr_init(attributes) != 0 || c.sigemptyset(empty) != 0
                        || c.posix_spawnattr_setsigmask(attributes, empty) != 0
                        || c.posix_spawnattr_setsigdefault(attributes, all) != 0
                        || c.posix_spawnattr_setflags(attributes, (short) (LibC.POSIX_SPAWN_SETSID
                        | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF)) != 0) {
                    throw new IllegalStateException("cannot prepare posix_spawn attributes");
                }
                binding = new Binding(c, runtime, attributes);
            }
            return binding;
        }
    }
}
