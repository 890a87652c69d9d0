package dev.stagecraft.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.stagecraft.api.EgressPolicy;
import dev.stagecraft.api.EnvironmentNotFoundException;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;

/**
 * One container: {@code stagecraft-<id>}, a named workspace volume at /workspace, docker-init as PID 1 over the exec
 * agent ({@link AgentScript}; over a sleeping shell with a custom {@code init-command}), every command run through the
 * agent or an Engine exec ({@link CommandRunner}).
 *
 * <p><b>Status.</b> A runc container whose cgroup on this host holds processes runs ({@link LocalCgroup}, no Engine call);
 * otherwise read from the Engine (running → READY, or RUNNING while commands run here; created/exited → STOPPED;
 * dead/removing/restarting → ERROR). STOPPING while a stop is in progress.
 */
final class DockerEnvironment implements ExecutionEnvironment {
    /** Labels private to this provider, stripped from {@link #labels()}. */
    static final String PRIVATE_PREFIX = Labels.PREFIX + "docker.";
    static final String ISOLATION_LABEL = PRIVATE_PREFIX + "isolation";
    static final String VOLUME_LABEL = PRIVATE_PREFIX + "volume";
    /**
     * Set on a container whose main process is the exec agent ({@link AgentScript}); its value is the default PATH the
     * agent was made with.
     */
    static final String AGENT_LABEL = PRIVATE_PREFIX + "agent";
    /** How long destroy waits for a container whose agent was told to exit to stop by itself. */
    private static final Duration AGENT_EXIT_WAIT = Duration.ofSeconds(1);

    private final String id;
    private final String containerId;
    private final String volume;
    private final Labels labels;
    private final IsolationLevel isolation;
    private final Engine engine;
    private final DockerSettings settings;
    private final ExecutorService workers;
    private final ScheduledExecutorService timers;
    private final WorkspaceArchive archive;
    private final CommandRunner commands;
    private final UsageSampler usage;
    private final AgentLink agent;
    private final AgentLocks locks;
    private final Object lifecycle = new Object();
    private volatile boolean stopping;
    private volatile boolean destroyed;
    private volatile long stopGeneration;
    private volatile LocalCgroup cgroup;
    private volatile EgressPolicy egress;

    DockerEnvironment(String id, String containerId, String volume, Labels labels, IsolationLevel isolation, String agentPath,
                      Engine engine, DockerSettings settings, ExecutorService workers, ScheduledExecutorService timers,
                      AgentLocks locks) {
        this.id = id;
        this.containerId = containerId;
        this.volume = volume;
        this.labels = labels;
        this.isolation = isolation;
        this.engine = engine;
        this.settings = settings;
        this.workers = workers;
        this.timers = timers;
        this.locks = locks;
        this.agent = new AgentLink(id, containerId, agentPath, settings.user(), engine, workers, locks);
        this.commands = new CommandRunner(this, engine, settings, workers, timers);
        this.usage = new UsageSampler(engine, containerId, this::cgroup);
        this.archive = new WorkspaceArchive(engine, containerId, id, settings.uid(), settings.gid());
    }

    /** The container's cgroup on this host, found on first use (unfound for a remote Engine). */
    LocalCgroup cgroup() {
        LocalCgroup found = cgroup;
        if (found == null) {
            found = LocalCgroup.of(containerId);
            if (found.found()) {
                cgroup = found;
            }
        }
        return found;
    }

    /**
     * Whether a runc container runs, told by its cgroup on this host holding processes: no Engine call. runc only: a
     * runsc container's cgroup also holds gVisor's Gofer, which outlives a Sentry that was killed for a moment.
     */
    private boolean runsByItsCgroup() {
        if (isolation == IsolationLevel.USER_KERNEL) {
            return false;
        }
        LocalCgroup local = cgroup();
        return local.found() && local.pidsCurrent() > 0;
    }

    static Labels publicLabels(Map<String, String> all) {
        Map<String, String> copy = new java.util.TreeMap<>(all);
        copy.keySet().removeIf(k -> k.startsWith(PRIVATE_PREFIX));
        return new Labels(copy);
    }

    static String containerName(String id) {
        return "stagecraft-" + id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String kind() {
        return DockerProvider.KIND;
    }

    @Override
    public IsolationLevel isolation() {
        return isolation;
    }

    @Override
    public Labels labels() {
        return labels;
    }

    String containerId() {
        return containerId;
    }

    String volume() {
        return volume;
    }

    AgentLink agent() {
        return agent;
    }

    /**
     * The egress policy of a container made with a network, null without one (else usage needs an inspect to find out
     * whether it has a network).
     */
    void egress(EgressPolicy policy) {
        egress = policy;
        usage.networked(policy != null);
    }

    /**
     * Loads the egress rules into the started container's new network namespace, before any command runs; a container
     * whose rules cannot be loaded is stopped, never left running without them.
     */
    void loadEgressRules() {
        EgressPolicy policy = egress;
        if (policy == null) {
            return;
        }
        try {
            ContainerFirewall.apply(engine, id, containerId, policy, settings.openCidrs());
        } catch (RuntimeException e) {
            try {
                engine.client().killContainerCmd(containerId).exec();
            } catch (RuntimeException notRunning) {
                e.addSuppressed(notRunning);
            }
            throw e;
        }
    }

    /** Whether the container runs: from its cgroup (runc, local Engine), else from the Engine. */
    boolean containerRuns() {
        return runsByItsCgroup() || ExecCall.containerRunning(engine, containerId);
    }

    @Override
    public EnvironmentStatus status() {
        if (destroyed) {
            return EnvironmentStatus.STOPPED;
        }
        if (stopping) {
            return EnvironmentStatus.STOPPING;
        }
        if (runsByItsCgroup()) {
            return commands.running() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
        }
        InspectContainerResponse.ContainerState state;
        try {
            state = engine.client().inspectContainerCmd(containerId).exec().getState();
        } catch (NotFoundException e) {
            return EnvironmentStatus.STOPPED;
        } catch (RuntimeException e) {
            return EnvironmentStatus.ERROR;
        }
        String s = state.getStatus() == null ? "" : state.getStatus();
        switch (s) {
            case "running":
                return commands.running() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
            case "created":
            case "exited":
                return EnvironmentStatus.STOPPED;
            default:
                return EnvironmentStatus.ERROR;
        }
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            refuseDestroyed();
            InspectContainerResponse.ContainerState state = engine.call(ErrorCode.PROVISIONING_FAILED,
                    "environment '" + id + "'", () -> engine.client().inspectContainerCmd(containerId).exec().getState());
            if (Boolean.TRUE.equals(state.getRunning()) && !Boolean.TRUE.equals(state.getPaused())) {
                return;
            }
            try {
                engine.client().startContainerCmd(containerId).exec();
            } catch (NotModifiedException alreadyRunning) {
                // started meanwhile
            } catch (NotFoundException e) {
                throw new EnvironmentNotFoundException(id);
            } catch (RuntimeException e) {
                throw new ProvisioningException("cannot start environment '" + id + "': " + Engine.engineMessage(e.getMessage()), e);
            }
            loadEgressRules();
            agent.reset();
            awaitReady();
        }
    }

    /** Waits until the container runs and the readiness command succeeds, within the readiness timeout. */
    void awaitReady() {
        awaitReady(false);
    }

    /**
     * Waits until the container runs and is ready. With the exec agent: ready when the agent answers a ping (on the
     * channel attached before the start, or attached now), then, when the ping says /workspace is not writable and
     * {@code creating}, once it was made so, and once a readiness command other than {@code true} succeeded through
     * the agent: no Engine exec in the common case. Without the agent: the container's state is polled and the
     * readiness command is an exec; with {@code creating} (create checks the workspace with an exec right after) and
     * the default readiness command {@code true}, a running container is ready.
     */
    void awaitReady(boolean creating) {
        awaitReady(creating, null);
    }

    /** {@link #awaitReady(boolean)}, where the ping was written already (before the start). */
    void awaitReady(boolean creating, AgentLink.Ping sent) {
        if (agent.present()) {
            awaitAgentReady(creating, sent);
            return;
        }
        boolean runningIsReady = creating && settings.readinessCommand().equals(List.of("true"));
        long end = System.nanoTime() + settings.readinessTimeout().toNanos();
        String last = "";
        while (true) {
            InspectContainerResponse.ContainerState state = engine.call(ErrorCode.PROVISIONING_FAILED,
                    "environment '" + id + "'", () -> engine.client().inspectContainerCmd(containerId).exec().getState());
            if (!Boolean.TRUE.equals(state.getRunning())) {
                failIfStopped(state);
            } else {
                if (runningIsReady) {
                    return;
                }
                ExecCall.Outcome ready = ExecCall.run(engine, workers, timers, containerId, "readiness of '" + id + "'",
                        settings.readinessCommand(), settings.user(), new byte[0], 4096, null, Duration.ofSeconds(10), () -> { });
                if (ready.exitCode() == 0) {
                    return;
                }
                last = readinessFailure(ready.exitCode(), ready.stderr().length > 0 ? ready.stderrText() : "");
            }
            if (System.nanoTime() - end > 0) {
                throw new ProvisioningException("environment '" + id + "' was not ready within " + settings.readinessTimeout()
                        + (last.isEmpty() ? "" : " (" + last + ")"));
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private String readinessFailure(long exitCode, String stderr) {
        return "readiness command " + settings.readinessCommand() + " exited " + exitCode
                + (stderr.isEmpty() ? "" : ": " + Engine.oneLine(stderr));
    }

    private void awaitAgentReady(boolean creating, AgentLink.Ping sent) {
        long end = System.nanoTime() + settings.readinessTimeout().toNanos();
        AgentLink.Flags flags;
        try {
            AgentLink.Ping ping = sent != null ? sent : agent.sendPing();
            flags = agent.awaitPing(ping, settings.readinessTimeout(), this::failIfStoppedWhileStarting);
        } catch (ProvisioningException e) {
            throw e;
        } catch (StagecraftException e) {
            failIfStoppedWhileStarting();
            throw new ProvisioningException("environment '" + id + "' was not ready within " + settings.readinessTimeout()
                    + " (" + e.getMessage() + ")", e);
        }
        if (creating && !flags.workspaceWritable()) {
            openWorkspace();
        }
        if (settings.readinessCommand().equals(List.of("true"))) {
            return;
        }
        String last;
        while (true) {
            ExecResult ready = commands.run(ExecRequest.builder(settings.readinessCommand()).outputLimit(4096)
                    .timeout(Duration.ofSeconds(10)).build(), null);
            if (ready.exitCode() == 0) {
                return;
            }
            last = readinessFailure(ready.exitCode(), ready.stderr().length > 0 ? ready.stderrText() : "");
            if (System.nanoTime() - end > 0) {
                throw new ProvisioningException("environment '" + id + "' was not ready within " + settings.readinessTimeout()
                        + " (" + last + ")");
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    /** Throws when the container is neither running nor still being created: it stopped while starting. */
    private void failIfStoppedWhileStarting() {
        failIfStopped(engine.call(ErrorCode.PROVISIONING_FAILED, "environment '" + id + "'",
                () -> engine.client().inspectContainerCmd(containerId).exec().getState()));
    }

    private void failIfStopped(InspectContainerResponse.ContainerState state) {
        if (!Boolean.TRUE.equals(state.getRunning()) && !"created".equals(state.getStatus())) {
            throw new ProvisioningException("container " + containerName(id) + " stopped while starting (status "
                    + state.getStatus() + ", exit code " + state.getExitCodeLong()
                    + (state.getError() == null || state.getError().isEmpty() ? "" : ", " + Engine.oneLine(state.getError()))
                    + "); the image must have /bin/sh for " + (agent.present() ? "the exec agent" : "the init command "
                    + settings.initCommand()));
        }
    }

    /**
     * Makes /workspace writable by the command user where the image did not prepare it (a fresh volume takes the
     * owner of the image's directory; an image without /workspace gives root's): checked with an exec (without the
     * agent, whose ping tells), then root, without capabilities but owning the directory, opens its mode.
     */
    void ensureWritableWorkspace() {
        ExecCall.Outcome check = ExecCall.run(engine, workers, timers, containerId, "workspace check of '" + id + "'",
                List.of("test", "-w", WorkspaceArchive.WORKSPACE), settings.user(), new byte[0], 4096, null,
                Duration.ofSeconds(10), () -> { });
        if (check.exitCode() != 0) {
            openWorkspace();
        }
    }

    private void openWorkspace() {
        ExecCall.Outcome chmod = ExecCall.run(engine, workers, timers, containerId, "workspace mode of '" + id + "'",
                List.of("chmod", "0777", WorkspaceArchive.WORKSPACE), "0:0", new byte[0], 4096, null,
                Duration.ofSeconds(10), () -> { });
        if (chmod.exitCode() != 0) {
            throw new ProvisioningException("environment '" + id + "': /workspace is not writable by uid " + settings.uid()
                    + " and cannot be made so (" + Engine.oneLine(chmod.stderrText()) + "); give the image a /workspace owned by "
                    + settings.user());
        }
    }

    @Override
    public void stop() {
        synchronized (lifecycle) {
            if (destroyed) {
                return;
            }
            stopping = true;
            stopGeneration++;
            try {
                engine.client().stopContainerCmd(containerId).withTimeout((int) settings.stopTimeout().toSeconds()).exec();
            } catch (NotModifiedException | NotFoundException alreadyStopped) {
                // idempotent
            } catch (RuntimeException e) {
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot stop environment '" + id + "': "
                        + Engine.engineMessage(e.getMessage()), e);
            } finally {
                stopping = false;
                agent.close();
            }
        }
    }

    @Override
    public void destroy() {
        synchronized (lifecycle) {
            if (destroyed) {
                return;
            }
            stopGeneration++;
            stopping = true;
            agent.exitBeforeRemoval(AGENT_EXIT_WAIT);
            agent.close();
            try {
                ContainerRemoval.removeContainerAndVolume(engine, containerId, volume);
                destroyed = true;
                locks.delete(id);
            } finally {
                stopping = false;
            }
        }
    }

    /** How many stops and destroys have begun so far: a command reads it before it runs, for {@link #stoppedSince}. */
    long stopGeneration() {
        return stopGeneration;
    }

    /** Whether the environment was stopped or destroyed since {@code generation} was read. */
    boolean stoppedSince(long generation) {
        return generation != stopGeneration || destroyed;
    }

    private void refuseDestroyed() {
        if (destroyed) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' was destroyed");
        }
    }

    @Override
    public ExecResult execute(ExecRequest request) {
        return run(request, null);
    }

    @Override
    public ExecResult execute(ExecRequest request, OutputListener listener) {
        ExecResult result = run(request, listener);
        return new ExecResult(result.exitCode(), new byte[0], new byte[0], result.duration(), result.termination(),
                result.truncated(), result.detail());
    }

    private ExecResult run(ExecRequest request, OutputListener listener) {
        refuseDestroyed();
        if (workers.isShutdown()) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "the docker provider that made '" + id + "' was closed");
        }
        return commands.run(request, listener);
    }

    @Override
    public ResourceUsage usage() {
        return usage.usage();
    }

    @Override
    public void putFile(String path, byte[] content) {
        refuseDestroyed();
        archive.put(path, content);
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        refuseDestroyed();
        return archive.get(path, maxBytes);
    }
}
