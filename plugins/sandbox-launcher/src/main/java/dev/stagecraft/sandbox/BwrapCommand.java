package dev.stagecraft.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host command line of one sandboxed command: {@link #direct} for {@link DirectLaunch}, or, where the C library
 * lacks what that needs, {@link #build} with a wrapper shell. A tiny {@code /bin/sh} wrapper first writes its own pid into
 * the environment's cgroup files (so the sandbox and everything it forks are limited from the first
 * instruction), sets the rlimits (core dumps off, open files, file size, CPU time: hard limits too, so nothing
 * inside can raise them), opens the two compiled seccomp programs as descriptors 3 and 4, then {@code exec}s
 * bubblewrap with {@code --add-seccomp-fd 3 --add-seccomp-fd 4}: bubblewrap loads them after setting up the sandbox and right before it executes the program,
 * so it binds every thread and child. bubblewrap executes the program itself; when it cannot, it says so on
 * stderr ({@link #EXEC_FAILURE}) and exits 1, which {@link #execFailureCode} maps to 127 or 126 as a shell would.
 * Every variable part (cgroup files, the filter's path, limits, paths, argv,
 * environment) is a separate argument, never text inside a script.
 */
final class BwrapCommand {
    /** Marks a failure of the wrapper itself on stderr, with exit status {@link #JOIN_FAILED}. */
    static final String JOIN_MARKER = "stagecraft-join:";
    static final int JOIN_FAILED = 125;
    static final String WORKSPACE = "/workspace";
    static final int SANDBOX_UID = 1000;
    /** The descriptors the wrapper opens the two filter programs on, and bubblewrap reads them from. */
    static final int SECCOMP_FD = 3;
    static final int SECCOMP_VETO_FD = 4;
    /** How bubblewrap starts its message when it cannot execute the program. */
    static final String EXEC_FAILURE = "bwrap: execvp ";

    private static final String FAIL = " >&2; exit " + JOIN_FAILED + "; }";
    private static final String WRAPPER = "n=$1; shift; "
            + "while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || { echo \"" + JOIN_MARKER + " cannot join $1\"" + FAIL
            + "; shift; n=$((n-1)); done; "
            + "f=$1; g=$2; nofile=$3; fsize=$4; cpu=$5; cpuhard=$6; shift 6; "
            + "{ ulimit -c 0 && ulimit -n \"$nofile\" && ulimit -f \"$fsize\" && ulimit -S -t \"$cpu\" "
            + "&& ulimit -H -t \"$cpuhard\"; } 2>/dev/null || { echo \"" + JOIN_MARKER + " cannot set resource limits\"" + FAIL
            + "; [ -f \"$f\" ] && [ -r \"$f\" ] && [ -f \"$g\" ] && [ -r \"$g\" ] || { echo \"" + JOIN_MARKER
            + " cannot read the seccomp filter $f\"" + FAIL
            + "; unset PWD OLDPWD; exec \"$@\" " + SECCOMP_FD + "< \"$f\" " + SECCOMP_VETO_FD + "< \"$g\"";

    /** The rlimits the wrapper sets; {@code cpuSeconds} zero means none. */
    record Rlimits(long openFiles, long fileSizeBytes, long cpuSeconds) {
        static Rlimits of(SandboxSettings settings) {
            return new Rlimits(settings.openFiles(), settings.fileSizeBytes(), settings.cpuTime().toSeconds());
        }

        /** With a disk size, no file may be larger than the disk. */
        static Rlimits of(SandboxSettings settings, Limits limits) {
            long fileSize = limits.diskBytes() > 0 ? limits.diskBytes() : settings.fileSizeBytes();
            return new Rlimits(settings.openFiles(), fileSize, settings.cpuTime().toSeconds());
        }

        /** ulimit -f counts 512-byte blocks. */
        long fileSizeBlocks() {
            return (fileSizeBytes + 511) / 512;
        }

        List<String> wrapperArgs() {
            String cpu = cpuSeconds <= 0 ? "unlimited" : Long.toString(cpuSeconds);
            // The soft limit sends SIGXCPU; the hard one, a second later, SIGKILL for a program that ignores it.
            String cpuHard = cpuSeconds <= 0 ? "unlimited" : Long.toString(cpuSeconds + 1);
            return List.of(Long.toString(openFiles), Long.toString(fileSizeBlocks()), cpu, cpuHard);
        }
    }

    /**
     * What a sandbox sees beyond the read-only {@code /usr}: its workspace and home (none for the probe's trial run),
     * the generated {@code /etc} files ({@link SandboxEtc}), whether it has its own user-mode network, and the
     * configured read-only host paths, and the options a kind built on the launcher adds ({@link SandboxAdditions}).
     */
    record Layout(Path workspace, Path home, Path etc, boolean network, List<Path> readOnlyPaths, List<String> added) {
        Layout(Path workspace, Path home, Path etc, boolean network, List<Path> readOnlyPaths) {
            this(workspace, home, etc, network, readOnlyPaths, List.of());
        }

        static Layout trial() {
            return new Layout(null, null, null, false, List.of());
        }
    }

    private BwrapCommand() {
    }

    static List<String> build(String bwrap, List<Path> cgroupProcs, SeccompFilter.Programs seccomp, Rlimits rlimits, Layout layout,
                              String workingDir, long tmpSizeBytes, Map<String, String> env,
                              List<String> argv) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "stagecraft-join",
                Integer.toString(cgroupProcs.size())));
        cgroupProcs.forEach(p -> cmd.add(p.toString()));
        cmd.add(seccomp.main().toString());
        cmd.add(seccomp.veto().toString());
        cmd.addAll(rlimits.wrapperArgs());
        List<String> sandbox = sandboxArgs(bwrap, layout, workingDir, tmpSizeBytes, env);
        sandbox.addAll(sandbox.size() - 1, List.of("--add-seccomp-fd", Integer.toString(SECCOMP_FD),
                "--add-seccomp-fd", Integer.toString(SECCOMP_VETO_FD)));
        cmd.addAll(sandbox);
        cmd.addAll(argv);
        return cmd;
    }

    /**
     * The command line {@link DirectLaunch} starts: bubblewrap with the seccomp programs on descriptors 3 and 4, its
     * report on {@link DirectLaunch#INFO_FD} and its pause on {@link DirectLaunch#BLOCK_FD}, then the program.
     */
    static List<String> direct(String bwrap, Layout layout, String workingDir, long tmpSizeBytes,
                               Map<String, String> env, List<String> argv) {
        List<String> cmd = sandboxArgs(bwrap, layout, workingDir, tmpSizeBytes, env);
        cmd.addAll(cmd.size() - 1, List.of("--add-seccomp-fd", Integer.toString(SECCOMP_FD),
                "--add-seccomp-fd", Integer.toString(SECCOMP_VETO_FD),
                "--info-fd", Integer.toString(DirectLaunch.INFO_FD), "--block-fd", Integer.toString(DirectLaunch.BLOCK_FD)));
        cmd.addAll(argv);
        return cmd;
    }

    /**
     * The shell's exit status for a program bubblewrap could not execute (127 when it is missing, 126 when it is
     * not executable), or -1 when {@code exitCode} and the start of stderr are not that failure.
     */
    static int execFailureCode(int exitCode, String stderrHead) {
        if (exitCode != 1 || !stderrHead.startsWith(EXEC_FAILURE)) {
            return -1;
        }
        String line = stderrHead.lines().findFirst().orElse("");
        return line.endsWith(": No such file or directory") || line.endsWith(": Not a directory") ? 127 : 126;
    }

    /**
     * Whether bubblewrap failed to set up the new network namespace's loopback ("bwrap: loopback: Failed
     * RTM_NEWADDR: ..."), before anything of the request ran.
     */
    static boolean loopbackSetupFailed(int exitCode, String stderrHead) {
        return exitCode == 1 && stderrHead.startsWith("bwrap: loopback: ");
    }

    /** bubblewrap and its options up to the sandboxed program; also what the probe's trial run uses. */
    static List<String> sandboxArgs(String bwrap, Layout layout, String workingDir,
                                    long tmpSizeBytes, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of(bwrap,
                "--unshare-all", "--unshare-user", "--disable-userns",
                "--uid", Integer.toString(SANDBOX_UID), "--gid", Integer.toString(SANDBOX_UID),
                "--hostname", "sandbox", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
                "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev",
                "--size", Long.toString(tmpSizeBytes), "--tmpfs", "/dev/shm",
                "--size", Long.toString(tmpSizeBytes), "--tmpfs", "/tmp"));
        if (layout.etc() != null) {
            for (String file : SandboxEtc.FILES) {
                cmd.addAll(List.of("--ro-bind", layout.etc().resolve(file).toString(), "/etc/" + file));
            }
        }
        if (layout.network()) {
            // its own namespace (--unshare-all), given a user-mode network by the launcher; the resolver is that network's
            cmd.addAll(List.of("--ro-bind", layout.etc().resolve(SandboxEtc.RESOLV_CONF).toString(), "/etc/resolv.conf"));
            for (String dir : List.of("/etc/ssl", "/etc/ca-certificates")) {
                cmd.addAll(List.of("--ro-bind-try", dir, dir));
            }
        }
        for (Path path : layout.readOnlyPaths()) {
            cmd.addAll(List.of("--ro-bind", path.toString(), path.toString()));
        }
        cmd.addAll(layout.added());
        if (layout.home() != null) {
            cmd.addAll(List.of("--bind", layout.home().toString(), SandboxEtc.HOME));
        }
        if (layout.workspace() != null) {
            cmd.addAll(List.of("--bind", layout.workspace().toString(), WORKSPACE,
                    "--chdir", workingDir.isEmpty() ? WORKSPACE : WORKSPACE + "/" + workingDir));
        }
        cmd.add("--clearenv");
        env.forEach((name, value) -> cmd.addAll(List.of("--setenv", name, value)));
        cmd.add("--");
        return cmd;
    }
}
