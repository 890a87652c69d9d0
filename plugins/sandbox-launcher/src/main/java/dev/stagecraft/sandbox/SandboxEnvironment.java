package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One sandbox: a workspace directory, a cgroup with the limits, and one bubblewrap process tree per command.
 * Nothing of a command outlives it; between commands at most the sandbox made ahead for the next one waits
 * ({@link WaitingSandbox}: made when the environment is, taken by its first command). So STOPPED only means
 * "refuses commands until started"; the state is a marker file, so a restarted provider sees it too. A command's status RUNNING is counted in memory.
 *
 * <p>Exit codes: bubblewrap reports a command killed by signal N as 128+N, as a shell does; such codes are
 * read as {@link Terminations} reads them for every kind: SIGNALED. A kill by the kernel's OOM
 * killer or a failing fork at the pids limit is read from the cgroup's counters: LIMIT_KILLED. So are SIGXFSZ
 * (the file-size rlimit) and, when a CPU-time limit is set, SIGXCPU.
 */
final class SandboxEnvironment implements ExecutionEnvironment {
    private static final Duration KILL_WAIT = BubblewrapProcess.KILL_WAIT;
    private static final Duration LINGERING_PIDS_WAIT = Duration.ofSeconds(3);
    /** Processes a command needs before the program runs: the wrapper (then bubblewrap), its init, the program. */
    private static final int PIDS_TO_START = 4;
    private static final int SIGXCPU = 24;
    private static final int SIGXFSZ = 25;

    private final String id;
    private final Labels labels;
    private final IsolationLevel isolation;
    private final EnvironmentDirectory directory;
    private final Limits limits;
    private final boolean network;
    private final dev.stagecraft.api.EgressPolicy egress;
    private final EnvironmentCgroup cgroup;
    private final SpareCgroups spares;
    private final SandboxSettings settings;
    private final java.nio.file.Path stateDir;
    private final Runnable onDestroyed;
    private volatile String kind = SandboxProvider.KIND;
    private volatile SandboxAdditions additions = SandboxAdditions.NONE;

    private final Object lifecycle = new Object();
    private final AtomicInteger running = new AtomicInteger();
    private final Set<HostProcess> processes = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicReference<WaitingSandbox> waiting =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile EnvironmentStatus base;
    private volatile boolean destroyed;
    private volatile long stopGeneration;
    private long lastCpuNanos = -1;
    private long lastCpuSampleNanos;

    SandboxEnvironment(String id, Labels labels, IsolationLevel isolation, EnvironmentDirectory directory,
                       Limits limits, boolean network, dev.stagecraft.api.EgressPolicy egress, EnvironmentCgroup cgroup, SpareCgroups spares, SandboxSettings settings,
                       java.nio.file.Path stateDir, boolean stopped, Runnable onDestroyed) {
        this.stateDir = stateDir;
        this.id = id;
        this.labels = labels;
        this.isolation = isolation;
        this.directory = directory;
        this.limits = limits;
        this.network = network;
        this.egress = egress;
        this.cgroup = cgroup;
        this.spares = spares;
        this.settings = settings;
        this.base = stopped ? EnvironmentStatus.STOPPED : EnvironmentStatus.READY;
        this.onDestroyed = onDestroyed;
    }

    @Override
    public String id() {
        return id;
    }

    /** Names this environment's kind and what that kind adds to each command; returns this. */
    SandboxEnvironment as(String kindName, SandboxAdditions kindAdditions) {
        this.kind = kindName;
        this.additions = kindAdditions;
        return this;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public IsolationLevel isolation() {
        return isolation;
    }

    @Override
    public Labels labels() {
        return labels;
    }

    boolean destroyedOrGone() {
        return destroyed || !directory.exists();
    }

    @Override
    public EnvironmentStatus status() {
        if (destroyedOrGone()) {
            return EnvironmentStatus.STOPPED;
        }
        EnvironmentStatus now = base;
        return now == EnvironmentStatus.READY && running.get() > 0 ? EnvironmentStatus.RUNNING : now;
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            requireExists();
            if (base == EnvironmentStatus.STOPPED) {
                try {
                    directory.markStopped(false);
                } catch (IOException e) {
                    throw new StagecraftException(ErrorCode.INTERNAL, "cannot start sandbox '" + id + "': " + e.getMessage(), e);
                }
                base = EnvironmentStatus.READY;
            }
        }
    }

    @Override
    public void stop() {
        synchronized (lifecycle) {
            if (destroyedOrGone() || base == EnvironmentStatus.STOPPED) {
                return;
            }
            base = EnvironmentStatus.STOPPING;
            killEverything();
            try {
                directory.markStopped(true);
            } catch (IOException e) {
                base = EnvironmentStatus.ERROR;
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot stop sandbox '" + id + "': " + e.getMessage(), e);
            }
            base = EnvironmentStatus.STOPPED;
        }
    }

    @Override
    public void destroy() {
        synchronized (lifecycle) {
            if (destroyed) {
                return;
            }
            base = EnvironmentStatus.STOPPING;
            killEverything();
            try {
                java.nio.file.Files.deleteIfExists(directory.labelsFile());
                spares.retire(cgroup, KILL_WAIT);
                if (DiskVolume.exists(directory)) {
                    DiskVolume.remove(directory);
                }
                directory.delete();
            } catch (IOException e) {
                base = EnvironmentStatus.ERROR;
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot fully remove sandbox '" + id + "': "
                        + e.getMessage() + " (destroy again to retry)", e);
            }
            destroyed = true;
            base = EnvironmentStatus.STOPPED;
        }
        onDestroyed.run();
    }

    private void killEverything() {
        stopGeneration++;
        discardWaiting();
        for (HostProcess p : processes) {
            p.killTree();
        }
        cgroup.killAll(KILL_WAIT);
    }

    private void requireExists() {
        if (destroyedOrGone()) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "sandbox '" + id + "' has been destroyed");
        }
    }

    // ---- exec ----------------------------------------------------------------------------------------

    @Override
    public ExecResult execute(ExecRequest request) {
        return run(request, null);
    }

    @Override
    public ExecResult execute(ExecRequest request, OutputListener listener) {
        return run(request, listener);
    }

    private ExecResult run(ExecRequest request, OutputListener listener) {
        String workingDir = request.workingDir().filter(w -> !w.isBlank() && !w.equals(".")).map(w -> {
            WorkspacePath.of(w);
            WorkspaceFiles.checkDirectory(directory.workspace(), w);
            return WorkspacePath.of(w).relative();
        }).orElse("");
        long generation;
        synchronized (lifecycle) {
            requireExists();
            if (!base.acceptsExec()) {
                throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "sandbox '" + id + "' is " + base
                        + "; start it before running commands");
            }
            ensureCgroup();
            running.incrementAndGet();
            generation = stopGeneration;
        }
        try {
            if (running.get() == 1) {
                awaitLingeringPids();
            }
            return runProcess(request, listener, workingDir, generation);
        } finally {
            running.decrementAndGet();
        }
    }

    private void ensureCgroup() {
        if (!cgroup.exists()) {
            try {
                spares.make(cgroup, limits);
            } catch (IOException e) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot recreate the cgroup of sandbox '" + id
                        + "': " + e.getMessage(), e);
            }
        }
    }

    /**
     * bubblewrap leaves its namespace init for the host's PID 1 to collect, charged to the pids counter until then
     * (about a second on some minimal inits). With no other command running, whatever is counted is such a charge:
     * wait (briefly) until a command has room to start, rather than fail it at the limit.
     */
    private void awaitLingeringPids() {
        long end = System.nanoTime() + LINGERING_PIDS_WAIT.toNanos();
        while (cgroup.pidsCurrent() > limits.pids() - PIDS_TO_START && System.nanoTime() - end < 0) {
            Pause.briefly();
        }
    }

    private ExecResult runProcess(ExecRequest request, OutputListener listener, String workingDir, long generation) {
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", settings.path());
        env.put("HOME", SandboxEtc.HOME);
        env.put("LANG", "C.UTF-8");
        SandboxAdditions.Launch launch = additions.forEnvironment(labels);
        env.putAll(launch.variables());
        env.putAll(request.env());
        BwrapCommand.Layout layout = layout(launch);
        SeccompFilter.Programs filter = filter();
        BwrapCommand.Rlimits rlimits = BwrapCommand.Rlimits.of(settings, limits);
        if (network && !settings.directLaunch()) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "sandbox '" + id + "' has network, which needs the direct"
                    + " launcher (glibc 2.34 or later; providers.sandbox.launcher: auto or direct)");
        }
        List<dev.stagecraft.api.Cidr> hostAddresses = network ? EgressRules.hostAddresses() : List.of();
        EgressProxy proxy = network && !egress.allowHosts().isEmpty() ? startProxy(hostAddresses) : null;
        try {
            BubblewrapProcess.Starter starter;
            if (settings.directLaunch()) {
                DirectLaunch.NetworkPlan plan = null;
                if (network) {
                    if (proxy != null) {
                        addProxyVariables(env, proxy.port());
                    }
                    plan = new DirectLaunch.NetworkPlan(EgressRules.of(egress, settings.network().openCidrs(), hostAddresses,
                            UserModeNetwork.DNS, proxy == null ? 0 : proxy.port()), settings.network(), proxy != null);
                }
                List<String> command = BwrapCommand.direct(settings.bwrap(), layout, workingDir, tmpSize(), env, request.argv());
                DirectLaunch.NetworkPlan networkPlan = plan;
                BubblewrapProcess.Starter fresh = () -> DirectLaunch.start(command, filter, cgroup.procsFiles(), rlimits, networkPlan);
                starter = firstFromWaiting(workingDir, env, request.argv(), fresh);
            } else {
                starter = BubblewrapProcess.jdk(BwrapCommand.build(settings.bwrap(), cgroup.procsFiles(), filter, rlimits,
                        layout, workingDir, tmpSize(), env, request.argv()));
            }
            return runAndClassify(starter, request, listener, generation);
        } finally {
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    private long tmpSize() {
        return limits.diskBytes() > 0 ? Math.min(settings.tmpSizeBytes(), limits.diskBytes()) : settings.tmpSizeBytes();
    }

    private BwrapCommand.Layout layout(SandboxAdditions.Launch launch) {
        try {
            if (limits.diskBytes() > 0) {
                DiskVolume.ensureMounted(directory);
            }
            Files.createDirectories(directory.home());
            return new BwrapCommand.Layout(directory.workspace(), directory.home(), SandboxEtc.ensure(stateDir), network,
                    settings.readOnlyPaths(), launch.bwrapOptions());
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "sandbox '" + id + "': cannot prepare its home and /etc: "
                    + e.getMessage(), e);
        }
    }

    private SeccompFilter.Programs filter() {
        try {
            return SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        } catch (IOException | LinkageError | RuntimeException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "sandbox '" + id + "': cannot compile its seccomp filter: "
                    + e.getMessage(), e);
        }
    }

    // ---- a sandbox made ahead of the first command -------------------------------------------------------

    /**
     * Makes the sandbox of the first command now ({@link WaitingSandbox}), so that command pays only its program's
     * start. Only without network (a networked command's network and proxy are its own) and with the direct
     * launcher; where it cannot be made, the first command starts the ordinary way and says why.
     */
    void prepareFirstCommand() {
        if (!settings.prespawn() || network || !settings.directLaunch()) {
            return;
        }
        synchronized (lifecycle) {
            if (destroyedOrGone() || base != EnvironmentStatus.READY || waiting.get() != null) {
                return;
            }
            try {
                ensureCgroup();
                List<String> command = BwrapCommand.direct(settings.bwrap(), layout(additions.forEnvironment(labels)), "",
                        tmpSize(), Map.of(), WaitingSandbox.program());
                waiting.set(WaitingSandbox.start(command, filter(), cgroup.procsFiles(), BwrapCommand.Rlimits.of(settings, limits)));
            } catch (IOException | RuntimeException e) {
                // the first command starts its sandbox itself, and reports what fails there
            }
        }
    }

    /** A start that takes the waiting sandbox once, when there is one and the command fits its line. */
    private BubblewrapProcess.Starter firstFromWaiting(String workingDir, Map<String, String> env, List<String> argv,
                                                       BubblewrapProcess.Starter fresh) {
        WaitingSandbox ready = waiting.getAndSet(null);
        if (ready == null) {
            return fresh;
        }
        java.util.Optional<String> line = WaitingSandbox.commandLine(
                workingDir.isEmpty() ? BwrapCommand.WORKSPACE : BwrapCommand.WORKSPACE + "/" + workingDir, env, argv);
        if (line.isEmpty()) {
            ready.discard();
            return fresh;
        }
        java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (!taken.getAndSet(true)) {
                java.util.Optional<HostProcess> released = ready.release(line.get());
                if (released.isPresent()) {
                    return released.get();
                }
            }
            return fresh.start();
        };
    }

    private void discardWaiting() {
        WaitingSandbox ready = waiting.getAndSet(null);
        if (ready != null) {
            ready.discard();
        }
    }

    private EgressProxy startProxy(List<dev.stagecraft.api.Cidr> hostAddresses) {
        try {
            return EgressProxy.start(egress.allowHosts(), EgressRules.deniedTest(settings.network().openCidrs(), hostAddresses));
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "sandbox '" + id + "': cannot start its egress proxy: "
                    + e.getMessage(), e);
        }
    }

    /** Points proxy-aware programs at the egress proxy, unless the request set these itself. */
    private static void addProxyVariables(Map<String, String> env, int port) {
        String url = "http://" + UserModeNetwork.GATEWAY + ":" + port;
        for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")) {
            env.putIfAbsent(name, url);
        }
        env.putIfAbsent("NO_PROXY", "localhost,127.0.0.1");
        env.putIfAbsent("no_proxy", "localhost,127.0.0.1");
    }

    private ExecResult runAndClassify(BubblewrapProcess.Starter starter, ExecRequest request, OutputListener listener,
                                      long generation) {
        long oomBefore = cgroup.oomKills();
        long pidsBefore = cgroup.pidsLimitHits();
        Runnable afterTimeout = () -> {
            if (running.get() <= 1) {
                cgroup.killAll(KILL_WAIT);
            }
        };
        BubblewrapProcess.Ended ended = BubblewrapProcess.run(starter, request, listener, processes, afterTimeout,
                "sandbox '" + id + "'");
        if (BwrapCommand.loopbackSetupFailed(ended.code(), ended.stderrHead())) {
            // Seen now and then on a busy host: the fresh namespace's loopback refused its address. Nothing of the
            // request ran (bubblewrap sets up loopback before it starts anything), so one more try is safe.
            ended = BubblewrapProcess.run(starter, request, listener, processes, afterTimeout, "sandbox '" + id + "'");
        }
        byte[] stdout = ended.stdout();
        byte[] stderr = ended.stderr();
        if (!ended.finished()) {
            return Terminations.timedOut(request.timeout(), stdout, stderr, ended.took(), ended.truncated());
        }
        if (ended.code() == BwrapCommand.JOIN_FAILED && ended.stderrHead().contains(BwrapCommand.JOIN_MARKER)) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "sandbox '" + id + "' could not join its cgroup: "
                    + ended.stderrHead().trim());
        }
        java.util.Optional<String> shellNotExecuted = WaitingSandbox.notExecuted(ended.code(), ended.stderrHead());
        if (shellNotExecuted.isPresent()) {
            return new ExecResult(ended.code(), stdout, stderr, ended.took(), Termination.EXITED, ended.truncated(),
                    shellNotExecuted.get());
        }
        int notExecuted = BwrapCommand.execFailureCode(ended.code(), ended.stderrHead());
        if (notExecuted > 0) {
            return new ExecResult(notExecuted, stdout, stderr, ended.took(), Termination.EXITED, ended.truncated(),
                    ended.stderrHead().lines().findFirst().orElse("").replace(BwrapCommand.EXEC_FAILURE, "cannot execute "));
        }
        return classify(ended.code(), stdout, stderr, ended.took(), ended.truncated(), generation, oomBefore, pidsBefore);
    }

    private ExecResult classify(int code, byte[] stdout, byte[] stderr, Duration took, boolean truncated,
                                long generation, long oomBefore, long pidsBefore) {
        if (generation != stopGeneration) {
            return new ExecResult(code, stdout, stderr, took, Termination.ENVIRONMENT_STOPPED, truncated,
                    "killed: the environment was stopped");
        }
        if (code != 0 && cgroup.oomKills() > oomBefore) {
            return new ExecResult(code, stdout, stderr, took, Termination.LIMIT_KILLED, truncated,
                    Terminations.memoryLimit(limits.memoryBytes()));
        }
        if (code != 0 && cgroup.pidsLimitHits() > pidsBefore) {
            return new ExecResult(code, stdout, stderr, took, Termination.LIMIT_KILLED, truncated,
                    Terminations.processLimit(limits.pids()));
        }
        if (Terminations.signalOf(code) == SIGXFSZ) {
            return new ExecResult(code, stdout, stderr, took, Termination.LIMIT_KILLED, truncated,
                    Terminations.fileSizeLimit(limits.diskBytes() > 0 ? limits.diskBytes() : settings.fileSizeBytes()))
                    .withNote(limits.diskBytes() > 0 ? "the environment's disk size" : "providers.sandbox.file-size");
        }
        if (Terminations.signalOf(code) == SIGXCPU && !settings.cpuTime().isZero()) {
            return new ExecResult(code, stdout, stderr, took, Termination.LIMIT_KILLED, truncated,
                    "killed: CPU time limit " + settings.cpuTime().toSeconds() + "s (SIGXCPU)");
        }
        return Terminations.ended(code, stdout, stderr, took, truncated);
    }

    // ---- usage and files ---------------------------------------------------------------------------

    @Override
    public synchronized ResourceUsage usage() {
        Instant now = Instant.now();
        if (!cgroup.exists()) {
            return new ResourceUsage(0, 0, limits.memoryBytes(), -1, -1, 0, now);
        }
        long cpu = cgroup.cpuNanos();
        long at = System.nanoTime();
        double percent = -1;
        if (cpu >= 0 && lastCpuNanos >= 0 && at > lastCpuSampleNanos) {
            percent = Math.max(0, 100.0 * (cpu - lastCpuNanos) / (at - lastCpuSampleNanos));
        } else if (cpu >= 0) {
            percent = 0;
        }
        lastCpuNanos = cpu;
        lastCpuSampleNanos = at;
        return new ResourceUsage(percent, cgroup.memoryBytes(), cgroup.memoryLimit(), -1, -1, cgroup.pidsCurrent(), now);
    }

    @Override
    public void putFile(String path, byte[] content) {
        requireExists();
        WorkspaceFiles.write(directory.workspace(), path, content);
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        requireExists();
        return WorkspaceFiles.read(directory.workspace(), path, maxBytes);
    }

    EnvironmentCgroup cgroup() {
        return cgroup;
    }

    EnvironmentDirectory directory() {
        return directory;
    }
}
