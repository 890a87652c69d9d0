package dev.stagecraft.sandbox;

import dev.stagecraft.sandbox.libc.LibC;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts bubblewrap itself, with no shell in front of it ({@link NativeSpawn}): the two seccomp programs are its
 * descriptors 3 and 4, it reports the host pid of the sandbox's init on descriptor 5 ({@code --info-fd}) and waits,
 * namespaces and mounts made, on descriptor 6 ({@code --block-fd}) before it runs anything of the request. In that
 * pause the launcher writes the init's pid into the environment's cgroup files and sets its rlimits (prlimit(2)),
 * then releases it: the program and everything it forks are limited from their first instruction, as with the
 * wrapper shell, and the cgroup writes overlap bubblewrap's own set-up.
 *
 * <p>bubblewrap's outer process stays in the manager's cgroup: it only waits for the sandbox and reports its end.
 */
final class DirectLaunch {
    static final int INFO_FD = 5;
    static final int BLOCK_FD = 6;
    /** Where a {@link WaitingSandbox}'s shell reads its command line. */
    static final int CONTROL_FD = 7;
    private static final Duration REPORT_WAIT = Duration.ofSeconds(10);
    private static final int INFO_LIMIT = 4096;
    private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");
    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");

    /** Why the sandbox's init could not be put into its cgroup or given its limits; bubblewrap is killed. */
    static class JoinFailed extends IOException {
        JoinFailed(String message) {
            super(message);
        }
    }

    /**
     * The sandbox's init was gone before it could be joined: bubblewrap failed while it made the sandbox (after it
     * reported it), and says why on stderr. Nothing of the request ran, since the init waits on the block fd first.
     */
    static final class InitGone extends JoinFailed {
        InitGone(String message) {
            super(message);
        }
    }

    private DirectLaunch() {
    }

    /** The descriptors bubblewrap starts with; {@code command} must name {@link #INFO_FD} and {@link #BLOCK_FD}. */
    /** A networked command's user-mode network: the egress rules for its namespace and the tools that set it up. */
    record NetworkPlan(String rules, SandboxSettings.Network tools, boolean hostLoopback) {
    }

    static HostProcess start(List<String> command, SeccompFilter.Programs seccomp, List<Path> cgroupProcs,
                             BwrapCommand.Rlimits rlimits) throws IOException {
        return start(command, seccomp, cgroupProcs, rlimits, null);
    }

    /** As above; with a {@code network}, the sandbox's namespace gets it in the pause, and it ends with the command. */
    static HostProcess start(List<String> command, SeccompFilter.Programs seccomp, List<Path> cgroupProcs,
                             BwrapCommand.Rlimits rlimits, NetworkPlan network) throws IOException {
        return launch(command, seccomp, cgroupProcs, rlimits, network, false).process();
    }

    /** A started sandbox and, when asked for, the writing end of the pipe on its program's {@link #CONTROL_FD}. */
    record Launched(SpawnedProcess process, PipeStreams.Out control) {
    }

    /**
     * As {@link #start}, for a program that waits for its orders ({@link WaitingSandbox}): a pipe it reads on
     * descriptor {@link #CONTROL_FD}, whose writing end the launcher keeps.
     */
    static Launched startWithControl(List<String> command, SeccompFilter.Programs seccomp, List<Path> cgroupProcs,
                                     BwrapCommand.Rlimits rlimits) throws IOException {
        return launch(command, seccomp, cgroupProcs, rlimits, null, true);
    }

    private static Launched launch(List<String> command, SeccompFilter.Programs seccomp, List<Path> cgroupProcs,
                                   BwrapCommand.Rlimits rlimits, NetworkPlan network, boolean control) throws IOException {
        List<NativeSpawn.ChildFd> fds = new java.util.ArrayList<>(List.of(new NativeSpawn.ChildReads(),
                new NativeSpawn.ChildWrites(), new NativeSpawn.ChildWrites(), new NativeSpawn.ReadOnlyFile(seccomp.main()),
                new NativeSpawn.ReadOnlyFile(seccomp.veto()), new NativeSpawn.ChildWrites(), new NativeSpawn.ChildReads()));
        if (control) {
            fds.add(new NativeSpawn.ChildReads());
        }
        NativeSpawn.Spawned spawned = NativeSpawn.spawn(command, ENV, fds);
        int[] ends = spawned.parentEnds();
        SpawnedProcess process = new SpawnedProcess(spawned.pid(), new PipeStreams.Out(ends[0]),
                new PipeStreams.In(ends[1]), new PipeStreams.In(ends[2]));
        PipeStreams.Out controlEnd = control ? new PipeStreams.Out(ends[CONTROL_FD]) : null;
        Launched launched = new Launched(process, controlEnd);
        try (PipeStreams.In info = new PipeStreams.In(ends[INFO_FD]); PipeStreams.Out block = new PipeStreams.Out(ends[BLOCK_FD])) {
            int init = readChildPid(info);
            if (init <= 0) {
                // bubblewrap failed before it made the sandbox: its message is on stderr, its exit code the result
                return launched;
            }
            // From here on, bubblewrap failing while it makes the sandbox (its init gone at the join, or the block fd
            // closed) is its own to explain: its message is on stderr, its exit code the result.
            try {
                join(init, cgroupProcs, rlimits);
            } catch (InitGone gone) {
                return launched;
            }
            if (network != null) {
                try {
                    UserModeNetwork attached = UserModeNetwork.attach(init, network.rules(), network.tools(),
                            network.hostLoopback());
                    process.whenEnded(attached::close);
                } catch (UserModeNetwork.Failed failed) {
                    if (java.nio.file.Files.exists(Path.of("/proc/" + init))) {
                        throw failed;
                    }
                    // the init died while bubblewrap made the sandbox (as at the join): bubblewrap explains why
                    return launched;
                }
            }
            try {
                block.write(1);
            } catch (IOException gone) {
                // above
            }
        } catch (IOException | RuntimeException e) {
            process.killTree();
            process.closeStreams();
            if (controlEnd != null) {
                controlEnd.close();
            }
            throw e;
        }
        return launched;
    }

    /** The sandbox init's host pid from bubblewrap's report, or -1 when bubblewrap ended (or hung) without one. */
    private static int readChildPid(PipeStreams.In info) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        byte[] chunk = new byte[512];
        long end = System.nanoTime() + REPORT_WAIT.toNanos();
        while (text.size() < INFO_LIMIT) {
            Duration left = Duration.ofNanos(Math.max(0, end - System.nanoTime()));
            if (!info.readable(left)) {
                throw new IOException("bubblewrap did not report its sandbox within " + REPORT_WAIT.toSeconds() + "s");
            }
            int n = info.read(chunk, 0, chunk.length);
            if (n < 0) {
                break;
            }
            text.write(chunk, 0, n);
            Matcher m = CHILD_PID.matcher(text.toString(StandardCharsets.US_ASCII));
            if (m.find() && text.toString(StandardCharsets.US_ASCII).indexOf('}') > m.end()) {
                return Integer.parseInt(m.group(1));
            }
        }
        Matcher m = CHILD_PID.matcher(text.toString(StandardCharsets.US_ASCII));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    static void join(int pid, List<Path> cgroupProcs, BwrapCommand.Rlimits rlimits) throws IOException {
        String text = Integer.toString(pid);
        for (Path procs : cgroupProcs) {
            try {
                EnvironmentCgroup.write(procs, text);
            } catch (IOException e) {
                String why = "cannot join " + procs + ": " + e.getMessage();
                // ESRCH, as the JDK words it
                throw String.valueOf(e.getMessage()).endsWith("No such process") ? new InitGone(why) : new JoinFailed(why);
            }
        }
        long cpuSoft = rlimits.cpuSeconds() <= 0 ? LibC.RLIM_INFINITY : rlimits.cpuSeconds();
        long cpuHard = rlimits.cpuSeconds() <= 0 ? LibC.RLIM_INFINITY : rlimits.cpuSeconds() + 1;
        long fileSize = rlimits.fileSizeBlocks() * 512;
        limit(pid, LibC.RLIMIT_CORE, "RLIMIT_CORE", 0, 0);
        limit(pid, LibC.RLIMIT_NOFILE, "RLIMIT_NOFILE", rlimits.openFiles(), rlimits.openFiles());
        limit(pid, LibC.RLIMIT_FSIZE, "RLIMIT_FSIZE", fileSize, fileSize);
        limit(pid, LibC.RLIMIT_CPU, "RLIMIT_CPU", cpuSoft, cpuHard);
    }

    private static void limit(int pid, int resource, String name, long soft, long hard) throws JoinFailed {
        if (NativeSpawn.lib().prlimit(pid, resource, new long[] {soft, hard}, null) != 0) {
            int error = NativeSpawn.lastError();
            String why = "cannot set " + name + " of the sandbox: " + NativeSpawn.strerror(error);
            throw error == LibC.ESRCH ? new InitGone(why) : new JoinFailed(why);
        }
    }
}
