package dev.stagecraft.lambda.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The bubblewrap command line of one execution environment: the host's /usr read-only (what provided.al2023's
 * userland stands in for, with bash as /bin/sh as there), the function's code read-only at /var/task, a fresh /tmp of its own of the function's
 * EphemeralStorage size, its own pid, IPC and UTS namespaces, an unprivileged uid as Lambda's sbx_user, no further
 * user namespace, a read-only /dev (Lambda has no /dev/shm), at most 1024 open files (Lambda's quota), and no
 * variable but Lambda's. The network is the host's: the runtime reaches the Runtime API on loopback, as a function
 * reaches it on its own link. Memory and processes are held by the cgroup the command enters ({@link InstanceCgroup});
 * the process limit is also RLIMIT_NPROC, as Lambda's {@code ulimit -u} shows its quota, so the bootstrap reads it where
 * it reads it on Lambda. The kernel does not hold that one here (uid 993 is root outside the user namespace): the
 * cgroup does.
 */
final class Sandbox {
    static final Path BWRAP = Path.of("/usr/bin/bwrap");
    static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    /** Lambda's quota on file descriptors of an execution environment. */
    static final int OPEN_FILES = 1024;
    private static final List<String> ETC = List.of("/etc/alternatives", "/etc/ld.so.cache", "/etc/ssl", "/etc/ca-certificates",
            "/etc/localtime", "/etc/nsswitch.conf", "/etc/hosts");

    private Sandbox() {
    }

    static boolean available() {
        return Files.isExecutable(BWRAP) && Files.isExecutable(PRLIMIT);
    }

    static List<String> command(Path code, long tmpBytes, int processes, Map<String, String> env, String entry) {
        List<String> args = new ArrayList<>(List.of(PRLIMIT.toString(), "--nofile=" + OPEN_FILES + ":" + OPEN_FILES,
                "--nproc=" + processes + ":" + processes, "--",
                BWRAP.toString(), "--die-with-parent", "--unshare-user", "--uid", "993", "--gid", "990", "--disable-userns",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--ro-bind", "/usr", "/usr"));
        for (String top : List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64")) {
            Path path = Path.of(top);
            try {
                if (Files.isSymbolicLink(path)) {
                    args.addAll(List.of("--symlink", Files.readSymbolicLink(path).toString(), top));
                } else if (Files.isDirectory(path)) {
                    args.addAll(List.of("--ro-bind", top, top));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + top, e);
            }
        }
        args.addAll(shellIsBash());
        for (String etc : etcPaths()) {
            args.addAll(List.of("--ro-bind-try", etc, etc));
        }
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--size", Long.toString(tmpBytes),
                "--perms", "1777", "--tmpfs", "/tmp",
                "--ro-bind", code.toString(), "/var/task", "--chdir", "/var/task", "--clearenv"));
        env.forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
        args.add(entry);
        return args;
    }

    /**
     * bash bound over what the host's /bin/sh is (dash on Debian, which is then bash too), so that /bin/sh is bash, as on
     * provided.al2023: the bootstrap and every {@code sh -c} run in the shell they run in on Lambda. Nothing where the
     * host has no bash.
     */
    private static List<String> shellIsBash() {
        Path bash = Path.of("/usr/bin/bash");
        try {
            return Files.isExecutable(bash) ? List.of("--ro-bind", bash.toString(), Path.of("/bin/sh").toRealPath().toString())
                    : List.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot resolve /bin/sh", e);
        }
    }

    /** The /etc entries programs of /usr read: the dynamic loader's cache, alternatives' links, the JDK's configuration. */
    private static List<String> etcPaths() {
        List<String> paths = new ArrayList<>(ETC);
        try (Stream<Path> etc = Files.list(Path.of("/etc"))) {
            etc.filter(p -> p.getFileName().toString().startsWith("java-")).forEach(p -> paths.add(p.toString()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /etc", e);
        }
        return paths;
    }
}
