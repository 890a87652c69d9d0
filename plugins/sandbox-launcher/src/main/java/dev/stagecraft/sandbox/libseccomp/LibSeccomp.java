package dev.stagecraft.sandbox.libseccomp;

import jnr.ffi.Pointer;

/**
 * The few functions of the system's libseccomp (libseccomp.so.2, 2.4 or later) the filter compiler calls, bound
 * through jnr-ffi. Constants are those of {@code seccomp.h}; see seccomp_init(3), seccomp_rule_add(3),
 * seccomp_export_bpf(3).
 */
public interface LibSeccomp {
    /** {@code SCMP_ACT_ALLOW}. */
    int ACT_ALLOW = 0x7fff0000;
    /** {@code SCMP_ACT_KILL_PROCESS}. */
    int ACT_KILL_PROCESS = 0x80000000;
    /** {@code __NR_SCMP_ERROR}: the name is unknown to this libseccomp. */
    int NR_SCMP_ERROR = -1;
    /** {@code SCMP_FLTATR_ACT_BADARCH}. */
    int FLTATR_ACT_BADARCH = 2;
    /** {@code SCMP_FLTATR_CTL_NNP}: libseccomp sets no-new-privs itself only when it loads the filter, which we never do. */
    int FLTATR_CTL_NNP = 3;
    /** {@code SCMP_FLTATR_CTL_OPTIMIZE} (libseccomp 2.5+), and its value for a binary tree of syscalls. */
    int FLTATR_CTL_OPTIMIZE = 8;
    int OPTIMIZE_BINARY_TREE = 2;

    /** {@code SCMP_ACT_ERRNO(errno)}. */
    static int actErrno(int errno) {
        return 0x00050000 | (errno & 0xffff);
    }

    Pointer seccomp_init(int defaultAction);

    void seccomp_release(Pointer ctx);

    int seccomp_attr_set(Pointer ctx, int attribute, int value);

    int seccomp_syscall_resolve_name(String name);

    /** {@code args} points at {@code count} packed {@code struct scmp_arg_cmp} (24 bytes each), or is null. */
    int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int count, Pointer args);

    int seccomp_export_bpf(Pointer ctx, int fd);

    /** A pointer to {@code struct scmp_version {unsigned int major, minor, micro;}}. */
    Pointer seccomp_version();

    /** libc's open(2) and close(2), to hand seccomp_export_bpf a descriptor. */
    interface LibC {
        int open(String path, int flags, int mode);

        int close(int fd);
    }
}
