package dev.stagecraft.sandbox;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The syscall policy of every sandboxed process, as data: an allow-list, a few argument-filtered rules, and a
 * default of {@code EPERM} for everything else. {@link SeccompFilter} compiles it to BPF with libseccomp.
 *
 * <p>Written to be at least as strict as Docker's default profile (without added capabilities): nothing is
 * allowed here that Docker's profile does not allow too, and some things Docker allows are refused
 * ({@link #DENIED} lists the notable ones, each with the errno a caller sees). Only the native 64-bit ABI is
 * allowed: a syscall made through another ABI (i386's {@code int 0x80}, x32) kills the process.
 *
 * <p>libseccomp cannot put a conditional refusal on a syscall the same filter allows unconditionally, so such
 * refusals ({@link #vetoes()}, e.g. ioctl TIOCSTI) are compiled into a second program whose default is to allow;
 * bubblewrap loads both and the kernel applies the stricter answer.
 *
 * <p>One policy serves both levels the sandbox accepts (low and medium); {@code ptrace} and friends are refused at
 * every level. A change here changes {@link #text()}, hence the cached filter's file name.
 */
record SeccompPolicy(List<String> allowed, List<Rule> rules, List<Rule> vetoes, int defaultErrno) {
    static final int EPERM = 1;
    static final int ENOSYS = 38;

    /** Argument comparison ops of libseccomp ({@code enum scmp_compare}). */
    static final int CMP_EQ = 4;
    static final int CMP_MASKED_EQ = 7;

    /** Every CLONE_NEW* flag clone(2) accepts: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
    static final long CLONE_NEW_FLAGS = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L | 0x10000000L
            | 0x20000000L | 0x40000000L;
    static final long TIOCSTI = 0x5412;
    static final long TIOCLINUX = 0x541C;
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    static final int NETLINK_ROUTE = 0;
    /** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET: not SOCK_RAW (3), SOCK_RDM (4) or SOCK_PACKET (10). */
    static final List<Integer> SOCKET_TYPES = List.of(1, 2, 5);
    static final long SOCK_TYPE_MASK = 0xf;
    /** PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the 0xffffffff query (no READ_IMPLIES_EXEC etc). */
    static final List<Long> PERSONALITIES = List.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL);

    /**
     * Syscalls no sandboxed program may make, each refused with EPERM (the default) unless an errno is named; the
     * security model document lists them, and the hostile tests try each one.
     */
    static final List<String> DENIED = List.of(
            "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "bpf", "perf_event_open",
            "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
            "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
            "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
            "open_by_handle_at", "name_to_handle_at", "fsopen", "fsmount", "move_mount", "open_tree",
            "swapon", "swapoff", "reboot", "acct", "syslog", "quotactl", "lookup_dcookie", "modify_ldt",
            "iopl", "ioperm", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "vhangup", "kcmp",
            "pidfd_getfd", "fanotify_init", "mbind", "set_mempolicy", "migrate_pages", "move_pages",
            "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", "vm86", "vm86old");

    /** What a program gets for clone3: ENOSYS, so libc falls back to clone, whose flags the filter can see. */
    static final int CLONE3_ERRNO = ENOSYS;

    /** The allow-list, by purpose. Names libseccomp does not know on this architecture are skipped. */
    private static final String ALLOWED = """
            # files and descriptors
            access faccessat faccessat2 open openat openat2 creat close close_range
            read readv pread64 preadv preadv2 write writev pwrite64 pwritev pwritev2 lseek
            stat fstat lstat newfstatat statx statfs fstatfs getdents getdents64 readlink readlinkat
            chdir fchdir getcwd mkdir mkdirat rmdir rename renameat renameat2 link linkat symlink symlinkat
            unlink unlinkat chmod fchmod fchmodat fchmodat2 chown fchown fchownat lchown umask
            truncate ftruncate fallocate fadvise64 fsync fdatasync sync syncfs sync_file_range flock fcntl
            dup dup2 dup3 pipe pipe2 mknod mknodat utime utimes utimensat futimesat
            sendfile splice tee vmsplice copy_file_range readahead cachestat
            getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr
            setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr
            inotify_init inotify_init1 inotify_add_watch inotify_rm_watch memfd_create
            # memory
            brk mmap munmap mremap mprotect madvise mincore msync mlock mlock2 munlock mlockall munlockall
            membarrier pkey_alloc pkey_free pkey_mprotect map_shadow_stack mseal
            # processes (clone, clone3 and personality: see the rules)
            execve execveat exit exit_group fork vfork wait4 waitid kill tkill tgkill
            getpid getppid gettid getpgid getpgrp getsid setsid setpgid
            set_tid_address set_robust_list get_robust_list rseq prctl arch_prctl
            prlimit64 getrlimit setrlimit getrusage getpriority setpriority ioprio_get ioprio_set
            sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam
            sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min
            sched_rr_get_interval sched_getattr sched_setattr getcpu
            capget capset seccomp pidfd_open pidfd_send_signal uname sysinfo times getrandom restart_syscall
            uretprobe
            # identity
            getuid geteuid getgid getegid getresuid getresgid getgroups
            setuid setgid setreuid setregid setresuid setresgid setfsuid setfsgid setgroups
            # signals
            rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigsuspend rt_sigtimedwait
            rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack signalfd signalfd4 pause alarm
            # time
            nanosleep clock_nanosleep clock_gettime clock_getres gettimeofday time getitimer setitimer
            timer_create timer_delete timer_getoverrun timer_gettime timer_settime
            timerfd_create timerfd_gettime timerfd_settime
            # waiting and events
            futex futex_waitv futex_wake futex_wait futex_requeue poll ppoll select pselect6
            epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2
            # asynchronous I/O (not io_uring)
            io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents
            # System V and POSIX IPC (private to the sandbox's IPC namespace)
            shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl
            mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr
            # sockets (socket itself: see the rules)
            socketpair bind listen accept accept4 connect getsockname getpeername getsockopt setsockopt
            sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown
            # self-restriction
            landlock_create_ruleset landlock_add_rule landlock_restrict_self
            """;

    /** One argument comparison ({@code struct scmp_arg_cmp}): for MASKED_EQ, {@code a} is the mask, {@code b} the value. */
    record Cmp(int arg, int op, long a, long b) {
        static Cmp eq(int arg, long value) {
            return new Cmp(arg, CMP_EQ, value, 0);
        }

        static Cmp maskedEq(int arg, long mask, long value) {
            return new Cmp(arg, CMP_MASKED_EQ, mask, value);
        }
    }

    /** A rule: when {@code syscall} is made with all of {@code cmps} true, {@code errno} is returned (or, when -1, it is allowed). */
    record Rule(String syscall, int errno, List<Cmp> cmps) {
        Rule {
            cmps = List.copyOf(cmps);
        }

        static Rule allow(String syscall, Cmp... cmps) {
            return new Rule(syscall, -1, Arrays.asList(cmps));
        }

        static Rule refuse(String syscall, int errno, Cmp... cmps) {
            return new Rule(syscall, errno, Arrays.asList(cmps));
        }

        boolean allows() {
            return errno < 0;
        }
    }

    SeccompPolicy {
        allowed = List.copyOf(allowed);
        rules = List.copyOf(rules);
        vetoes = List.copyOf(vetoes);
        if (vetoes.stream().anyMatch(Rule::allows)) {
            throw new IllegalArgumentException("a veto must refuse");
        }
    }

    private static final SeccompPolicy STANDARD = build();

    /** The policy of the low and medium levels. */
    static SeccompPolicy standard() {
        return STANDARD;
    }

    private static SeccompPolicy build() {
        List<String> allowed = new ArrayList<>(allowList());
        allowed.add("ioctl");
        List<Rule> rules = new ArrayList<>();
        // No new namespaces: bubblewrap has made the ones the sandbox needs.
        rules.add(Rule.allow("clone", Cmp.maskedEq(0, CLONE_NEW_FLAGS, 0)));
        rules.add(Rule.refuse("clone3", CLONE3_ERRNO));
        // Local, IPv4, IPv6 sockets of ordinary types, and route netlink (getaddrinfo, ip): nothing else.
        for (int family : List.of(AF_UNIX, AF_INET, AF_INET6)) {
            for (int type : SOCKET_TYPES) {
                rules.add(Rule.allow("socket", Cmp.eq(0, family), Cmp.maskedEq(1, SOCK_TYPE_MASK, type)));
            }
        }
        rules.add(Rule.allow("socket", Cmp.eq(0, AF_NETLINK), Cmp.eq(2, NETLINK_ROUTE)));
        for (long persona : PERSONALITIES) {
            rules.add(Rule.allow("personality", Cmp.eq(0, persona)));
        }
        // Typing into a terminal's input queue (and the console's): the kernel reads the command as 32 bits, so the
        // filter compares the low 32 bits only (a value with high bits set is the same command to the kernel).
        List<Rule> vetoes = List.of(Rule.refuse("ioctl", EPERM, Cmp.maskedEq(1, 0xffffffffL, TIOCSTI)),
                Rule.refuse("ioctl", EPERM, Cmp.maskedEq(1, 0xffffffffL, TIOCLINUX)));
        return new SeccompPolicy(allowed, rules, vetoes, EPERM);
    }

    static List<String> allowList() {
        Set<String> names = new LinkedHashSet<>();
        ALLOWED.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .forEach(l -> names.addAll(Arrays.asList(l.split("\\s+"))));
        return List.copyOf(names);
    }

    /** Every syscall this policy lets through in some case (unconditionally or by a rule). */
    Set<String> everAllowed() {
        Set<String> names = new LinkedHashSet<>(allowed);
        rules.stream().filter(Rule::allows).forEach(r -> names.add(r.syscall()));
        return names;
    }

    /** A canonical text of the whole policy; its hash names the compiled filter. */
    String text() {
        StringBuilder text = new StringBuilder("stagecraft-seccomp 1\ndefault errno ").append(defaultErrno).append('\n');
        allowed.forEach(name -> text.append("allow ").append(name).append('\n'));
        for (Rule rule : rules) {
            text.append(rule.allows() ? "allow " : "errno " + rule.errno() + " ").append(rule.syscall());
            rule.cmps().forEach(c -> text.append(" arg").append(c.arg()).append(':').append(c.op()).append(':')
                    .append(Long.toHexString(c.a())).append(':').append(Long.toHexString(c.b())));
            text.append('\n');
        }
        for (Rule veto : vetoes) {
            text.append("veto ").append(veto.errno()).append(' ').append(veto.syscall());
            veto.cmps().forEach(c -> text.append(" arg").append(c.arg()).append(':').append(c.op()).append(':')
                    .append(Long.toHexString(c.a())).append(':').append(Long.toHexString(c.b())));
            text.append('\n');
        }
        return text.toString();
    }
}
