package dev.stagecraft.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host command line of one sandboxed command. A tiny {@code /bin/sh} wrapper first writes its own pid into
 * the environment's cgroup files (so the sandbox and everything it forks are limited from the first
 * instruction), turns core dumps off, then {@code exec}s bubblewrap. Inside, {@code sh -c 'exec "$@"'} runs the
 * program so a missing one ends with 127 as in any shell. Every variable part (cgroup files, paths, argv,
 * environment) is a separate argument, never text inside a script.
 */
final class BwrapCommand {
    /** Marks a failure of the wrapper itself on stderr, with exit status {@link #JOIN_FAILED}. */
    static final String JOIN_MARKER = "stagecraft-join:";
    static final int JOIN_FAILED = 125;
    static final String WORKSPACE = "/workspace";
    static final int SANDBOX_UID = 1000;

    private static final String WRAPPER = "n=$1; shift; "
            + "while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || { echo \"" + JOIN_MARKER + " cannot join $1\" >&2; exit "
            + JOIN_FAILED + "; }; shift; n=$((n-1)); done; ulimit -c 0 2>/dev/null; exec \"$@\"";

    private BwrapCommand() {
    }

    static List<String> build(String bwrap, List<Path> cgroupProcs, Path workspace, String workingDir,
                              boolean network, long tmpSizeBytes, Map<String, String> env, List<String> argv) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "stagecraft-join",
                Integer.toString(cgroupProcs.size())));
        cgroupProcs.forEach(p -> cmd.add(p.toString()));
        cmd.addAll(sandboxArgs(bwrap, workspace, workingDir, network, tmpSizeBytes, env));
        cmd.addAll(List.of("sh", "-c", "exec \"$@\"", "sh"));
        cmd.addAll(argv);
        return cmd;
    }

    /** bubblewrap and its options up to the sandboxed program; also what the probe's trial run uses. */
    static List<String> sandboxArgs(String bwrap, Path workspace, String workingDir, boolean network,
                                    long tmpSizeBytes, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of(bwrap,
                "--unshare-all", "--unshare-user", "--disable-userns",
                "--uid", Integer.toString(SANDBOX_UID), "--gid", Integer.toString(SANDBOX_UID),
                "--hostname", "sandbox", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
                "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev",
                "--size", Long.toString(tmpSizeBytes), "--tmpfs", "/tmp"));
        if (network) {
            cmd.add(3, "--share-net");
            for (String file : List.of("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates")) {
                cmd.addAll(List.of("--ro-bind-try", file, file));
            }
        }
        if (workspace != null) {
            cmd.addAll(List.of("--bind", workspace.toString(), WORKSPACE,
                    "--chdir", workingDir.isEmpty() ? WORKSPACE : WORKSPACE + "/" + workingDir));
        }
        cmd.add("--clearenv");
        env.forEach((name, value) -> cmd.addAll(List.of("--setenv", name, value)));
        cmd.add("--");
        return cmd;
    }
}
