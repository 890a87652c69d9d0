package dev.stagecraft.sandbox.libc;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * The few glibc functions the sandbox's launcher calls, bound through jnr-ffi: posix_spawn(3) with its file actions
 * and attributes, pipe2(2), poll(2), read(2), write(2), close(2), waitpid(2), prlimit(2). Constants are those of
 * glibc on Linux. {@code posix_spawn_file_actions_addclosefrom_np} needs glibc 2.34 or later; without it the launcher
 * is not used.
 */
public interface LibC {
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_CLOEXEC = 0x80000;
    short POSIX_SPAWN_SETSIGDEF = 0x04;
    short POSIX_SPAWN_SETSIGMASK = 0x08;
    short POSIX_SPAWN_SETSID = 0x80;
    int RLIMIT_CPU = 0;
    int RLIMIT_FSIZE = 1;
    int RLIMIT_CORE = 4;
    int RLIMIT_NOFILE = 7;
    /** {@code RLIM_INFINITY}: all bits set. */
    long RLIM_INFINITY = -1L;
    short POLLIN = 0x1;
    int ESRCH = 3;
    int EINTR = 4;
    /** Generous upper bounds of {@code sizeof(posix_spawn_file_actions_t)} (80) and {@code posix_spawnattr_t} (336). */
    int FILE_ACTIONS_SIZE = 256;
    int SPAWN_ATTR_SIZE = 512;
    /** {@code sizeof(sigset_t)}. */
    int SIGSET_SIZE = 128;

    /** {@code argv} and {@code envp} are passed as NULL-terminated {@code char *[]}. */
    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attr, String[] argv, String[] envp);

    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

    int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int flags, int mode);

    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

    int posix_spawn_file_actions_addchdir_np(Pointer actions, String path);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);

    int sigemptyset(Pointer set);

    /** {@code fds} receives the read end, then the write end. */
    int pipe2(int[] fds, int flags);

    /** {@code fds} points at {@code count} {@code struct pollfd {int fd; short events; short revents;}}. */
    int poll(Pointer fds, long count, int timeoutMillis);

    long read(int fd, Pointer buffer, long count);

    long write(int fd, Pointer buffer, long count);

    int close(int fd);

    int waitpid(int pid, int[] status, int options);

    /** {@code newLimit} is {@code {soft, hard}}; {@code oldLimit} may be null. */
    int prlimit(int pid, int resource, long[] newLimit, long[] oldLimit);
}
