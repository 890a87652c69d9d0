/*
 * Tries syscalls the sandbox must refuse (and a few it must allow), printing one line each:
 *   <label> <return value> <errno>
 * Arguments are chosen so that the kernel itself, if the filter let the call through, would answer something
 * other than EPERM wherever that is possible (unshare(0) succeeds, setns(-1) is EBADF, ...), so an EPERM seen
 * here is the filter's. A call that would create a child returns at once in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void try(const char *label, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    errno = 0;
    long r = syscall(nr, a0, a1, a2, a3, a4, a5);
    int e = errno;
    if (r == 0 && (nr == SYS_clone)) {
        _exit(0); /* a clone that got through: the child leaves at once */
    }
    if (r > 0 && nr == SYS_clone) {
        waitpid((pid_t) r, NULL, 0);
    }
    printf("%s %ld %d\n", label, r < 0 ? -1L : r > 0 ? 1L : 0L, r < 0 ? e : 0);
    fflush(stdout);
}

#define T(label, nr, ...) try(label, nr, __VA_ARGS__)

#if defined(__x86_64__)
/* The 32-bit ABI: the filter only knows the native one, so such a call kills the process (SIGSYS). A kernel built
   without the 32-bit ABI kills it too (SIGSEGV) before any filter runs: `probe i386` alone, on the host, says which. */
static void i386_abi(void) {
    pid_t child = fork();
    if (child == 0) {
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("i386-abi %d %d\n", WIFSIGNALED(status) ? 1 : 0, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
#endif

int main(int argc, char **argv) {
#if defined(__x86_64__)
    if (argc > 1 && strcmp(argv[1], "i386") == 0) {
        i386_abi();
        return 0;
    }
#endif
    char buf[64] = {0};
    T("mount", SYS_mount, (long) "none", (long) "/tmp", (long) "tmpfs", 0, 0, 0);
    T("umount2", SYS_umount2, (long) "/tmp", 0, 0, 0, 0, 0);
    T("pivot_root", SYS_pivot_root, (long) "/", (long) "/", 0, 0, 0, 0);
    T("unshare", SYS_unshare, 0, 0, 0, 0, 0, 0);
    T("setns", SYS_setns, -1, 0, 0, 0, 0, 0);
    T("bpf", SYS_bpf, 0, 0, 0, 0, 0, 0);
    T("perf_event_open", SYS_perf_event_open, 0, 0, -1, -1, 0, 0);
    T("kexec_load", SYS_kexec_load, 0, 0, 0, 0, 0, 0);
    T("kexec_file_load", SYS_kexec_file_load, -1, -1, 0, 0, 0, 0);
    T("init_module", SYS_init_module, 0, 0, (long) "", 0, 0, 0);
    T("finit_module", SYS_finit_module, -1, (long) "", 0, 0, 0, 0);
    T("delete_module", SYS_delete_module, (long) "stagecraft_none", 0, 0, 0, 0, 0);
    T("keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -1 /* thread keyring */, 0, 0, 0, 0);
    T("add_key", SYS_add_key, 0, 0, 0, 0, -1, 0);
    T("request_key", SYS_request_key, 0, 0, 0, -1, 0, 0);
    T("ptrace", SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0, 0, 0);
    T("process_vm_readv", SYS_process_vm_readv, getpid(), 0, 0, 0, 0, 0);
    T("process_vm_writev", SYS_process_vm_writev, getpid(), 0, 0, 0, 0, 0);
    T("userfaultfd", SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */, 0, 0, 0, 0, 0);
    T("io_uring_setup", SYS_io_uring_setup, 0, 0, 0, 0, 0, 0);
    T("io_uring_enter", SYS_io_uring_enter, -1, 0, 0, 0, 0, 0);
    T("io_uring_register", SYS_io_uring_register, -1, 0, 0, 0, 0, 0);
    T("open_by_handle_at", SYS_open_by_handle_at, -1, 0, 0, 0, 0, 0);
    T("name_to_handle_at", SYS_name_to_handle_at, -100 /* AT_FDCWD */, (long) "/", 0, 0, 0, 0);
    T("clone3", SYS_clone3, 0, 0, 0, 0, 0, 0);
    T("clone:newuser", SYS_clone, 0x10000000 | SIGCHLD, 0, 0, 0, 0, 0);
    T("clone:newnet", SYS_clone, 0x40000000 | SIGCHLD, 0, 0, 0, 0, 0);
    T("clone:newns", SYS_clone, 0x00020000 | SIGCHLD, 0, 0, 0, 0, 0);
    T("clone:plain", SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    T("socket:vsock", SYS_socket, 40, 1, 0, 0, 0, 0);
    T("socket:packet", SYS_socket, 17, 3, 0, 0, 0, 0);
    T("socket:bluetooth", SYS_socket, 31, 1, 0, 0, 0, 0);
    T("socket:inet-raw", SYS_socket, 2, 3, 1, 0, 0, 0);
    T("socket:netlink-audit", SYS_socket, 16, 3, 9, 0, 0, 0);
    T("socket:inet-stream", SYS_socket, 2, 1, 0, 0, 0, 0);
    T("socket:unix-dgram", SYS_socket, 1, 2 | 0x80000 /* SOCK_CLOEXEC */, 0, 0, 0, 0);
    T("socket:netlink-route", SYS_socket, 16, 3, 0, 0, 0, 0);
    T("personality:read-implies-exec", SYS_personality, 0x0400000, 0, 0, 0, 0, 0);
    T("personality:query", SYS_personality, 0xffffffff, 0, 0, 0, 0, 0);
    T("ioctl:tiocsti", SYS_ioctl, 0, 0x5412, (long) buf, 0, 0, 0);
    T("ioctl:tiocsti-high-bits", SYS_ioctl, 0, 0x100005412L, (long) buf, 0, 0, 0);
    T("ioctl:tioclinux", SYS_ioctl, 0, 0x541C, (long) buf, 0, 0, 0);
    T("ioctl:fionread", SYS_ioctl, 0, 0x541B, (long) buf, 0, 0, 0);
    T("chroot", SYS_chroot, (long) "/", 0, 0, 0, 0, 0);
    T("swapon", SYS_swapon, (long) "/tmp/none", 0, 0, 0, 0, 0);
    T("getpid", SYS_getpid, 0, 0, 0, 0, 0, 0);

#if defined(__x86_64__)
    i386_abi();
#endif
    return 0;
}
