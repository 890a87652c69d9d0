package dev.stagecraft.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
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
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.WorkspacePath;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One container: {@code stagecraft-<id>}, a named workspace volume at /workspace, docker-init as PID 1 over a
 * sleeping shell, every command an exec.
 *
 * <p><b>Commands.</b> Each exec runs {@code sh -c WRAPPER}: the wrapper writes its PID to a file under /tmp, enters the
 * working directory, and runs the command under {@code env -i} with only the request's variables (and a default
 * PATH). An exec is the leader of its own process group (runc and runsc both start it with setsid), so at the
 * timeout a second exec kills the whole group ({@code kill -KILL -<pid>}): the command's background children die
 * with it. When the command ends (or is killed), what it left running is killed too ({@link RunLeftovers}): its
 * session, and processes that escaped into a session of their own (a daemonising double fork). Images therefore
 * need {@code sh}, {@code env} and {@code kill} (every image of the default table, busybox and Debian have them).
 *
 * <p><b>Status.</b> A runc container whose cgroup on this host holds processes runs ({@link LocalCgroup}, no Engine call);
 * otherwise read from the Engine (running → READY, or RUNNING while commands run here; created/exited → STOPPED;
 * dead/removing/restarting → ERROR). STOPPING while a stop is in progress.
 *
 * <p><b>Results.</b> Besides exit codes and timeouts: an out-of-memory kill ({@link OomEvents}), a failure while the
 * pids limit refused forks (runc, {@link LocalCgroup#pidsLimitHits()}) and SIGXFSZ are {@link Termination#LIMIT_KILLED}.
 */
final class DockerEnvironment implements ExecutionEnvironment {
    /** Labels private to this provider, stripped from {@link #labels()}. */
    static final String PRIVATE_PREFIX = Labels.PREFIX + "docker.";
    static final String ISOLATION_LABEL = PRIVATE_PREFIX + "isolation";
    static final String VOLUME_LABEL = PRIVATE_PREFIX + "volume";

    private static final String WRAPPER = "f=$1; echo $$ > \"$f\" || exit 125; cd \"$2\" || exit 126; shift 2; "
            + "env -i \"$@\"; rc=$?; rm -f \"$f\"; me=$$; " + RunLeftovers.SWEEP + "; exit $rc";
    private static final String KILLER = "i=0; while [ ! -s \"$1\" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
            + "p=$(cat \"$1\" 2>/dev/null) || exit 0; kill -s KILL -- \"-$p\" 2>/dev/null; kill -s KILL \"$p\" 2>/dev/null; "
            + "rm -f \"$1\"; me=$p; " + RunLeftovers.SWEEP + "; exit 0";

    /** The signal the kernel sends a process that writes past its file size limit. */
    private static final int SIGXFSZ = 25;

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
    private final AtomicInteger running = new AtomicInteger();
    private final Object lifecycle = new Object();
    private volatile boolean stopping;
    private volatile boolean destroyed;
    private volatile long stopGeneration;
    private volatile LocalCgroup cgroup;
    private volatile Boolean networked;
    private long lastCpuNanos = -1;
    private long lastSampleNanos;
    private long lastCpuTotal = -1;
    private long lastSystemTotal = -1;

    DockerEnvironment(String id, String containerId, String volume, Labels labels, IsolationLevel isolation,
                      Engine engine, DockerSettings settings, ExecutorService workers, ScheduledExecutorService timers) {
        this.id = id;
        this.containerId = containerId;
        this.volume = volume;
        this.labels = labels;
        this.isolation = isolation;
        this.engine = engine;
        this.settings = settings;
        this.workers = workers;
        this.timers = timers;
        this.archive = new WorkspaceArchive(engine, containerId, id, settings.uid(), settings.gid());
    }

    /** The container's cgroup on this host, found on first use (unfound for a remote Engine). */
    private LocalCgroup cgroup() {
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

    /**
     * Refused forks so far, or -1: runc only, since a runsc container's cgroup holds gVisor's Sentry and Gofer, not
     * the code's processes.
     */
    private long pidsLimitHits() {
        return isolation == IsolationLevel.USER_KERNEL ? -1 : cgroup().pidsLimitHits();
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

    @Override
    public EnvironmentStatus status() {
        if (destroyed) {
            return EnvironmentStatus.STOPPED;
        }
        if (stopping) {
            return EnvironmentStatus.STOPPING;
        }
        if (runsByItsCgroup()) {
            return running.get() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
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
                return running.get() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
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
            awaitReady();
        }
    }

    /** Waits until the container runs and the readiness command succeeds, within the readiness timeout. */
    void awaitReady() {
        awaitReady(false);
    }

    /**
     * Waits until the container runs and is ready. With {@code execFollows} (create checks the workspace with an exec
     * right after) and the default readiness command {@code true}, a running container is ready: that exec proves
     * what the readiness exec would, one exec (some 40 ms) earlier.
     */
    void awaitReady(boolean execFollows) {
        boolean runningIsReady = execFollows && settings.readinessCommand().equals(List.of("true"));
        long end = System.nanoTime() + settings.readinessTimeout().toNanos();
        String last = "";
        while (true) {
            InspectContainerResponse.ContainerState state = engine.call(ErrorCode.PROVISIONING_FAILED,
                    "environment '" + id + "'", () -> engine.client().inspectContainerCmd(containerId).exec().getState());
            if (!Boolean.TRUE.equals(state.getRunning())) {
                if (!"created".equals(state.getStatus())) {
                    throw new ProvisioningException("container " + containerName(id) + " stopped while starting (status "
                            + state.getStatus() + ", exit code " + state.getExitCodeLong()
                            + (state.getError() == null || state.getError().isEmpty() ? "" : ", " + Engine.oneLine(state.getError()))
                            + "); the image must have /bin/sh for the init command " + settings.initCommand());
                }
            } else if (runningIsReady) {
                return;
            } else {
                ExecCall.Outcome ready = ExecCall.run(engine, workers, timers, containerId, "readiness of '" + id + "'",
                        settings.readinessCommand(), settings.user(), new byte[0], 4096, null, Duration.ofSeconds(10), () -> { });
                if (ready.exitCode() == 0) {
                    return;
                }
                last = "readiness command " + settings.readinessCommand() + " exited " + ready.exitCode()
                        + (ready.stderr().length > 0 ? ": " + Engine.oneLine(ready.stderrText()) : "");
            }
            if (System.nanoTime() - end > 0) {
                throw new ProvisioningException("environment '" + id + "' was not ready within " + settings.readinessTimeout()
                        + (last.isEmpty() ? "" : " (" + last + ")"));
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    /**
     * Makes /workspace writable by the command user where the image did not prepare it (a fresh volume takes the
     * owner of the image's directory; an image without /workspace gives root's): root, without capabilities but
     * owning the directory, opens its mode.
     */
    void ensureWritableWorkspace() {
        ExecCall.Outcome check = ExecCall.run(engine, workers, timers, containerId, "workspace check of '" + id + "'",
                List.of("test", "-w", WorkspaceArchive.WORKSPACE), settings.user(), new byte[0], 4096, null,
                Duration.ofSeconds(10), () -> { });
        if (check.exitCode() == 0) {
            return;
        }
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
            try {
                removeContainerAndVolume(engine, containerId, volume);
                destroyed = true;
            } finally {
                stopping = false;
            }
        }
    }

    /** Removes the container (with its anonymous volumes) and the workspace volume; "already gone" is fine. */
    static void removeContainerAndVolume(Engine engine, String containerIdOrName, String volume) {
        try {
            engine.client().removeContainerCmd(containerIdOrName).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // idempotent
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("is already in progress")) {
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot remove container " + containerIdOrName + ": "
                        + Engine.engineMessage(e.getMessage()), e);
            }
        }
        if (volume != null && !volume.isEmpty()) {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try {
                    engine.client().removeVolumeCmd(volume).exec();
                    return;
                } catch (NotFoundException gone) {
                    return;
                } catch (RuntimeException e) {
                    // "volume is in use" while a removal of its container is still finishing
                    if (System.nanoTime() - end > 0) {
                        throw new StagecraftException(ErrorCode.INTERNAL, "cannot remove volume " + volume + ": "
                                + Engine.engineMessage(e.getMessage()), e);
                    }
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
            }
        }
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
        String workdir = WorkspaceArchive.WORKSPACE + request.workingDir().map(d -> "/" + WorkspacePath.of(d).relative()).orElse("");
        String pidFile = "/tmp/.stagecraft-exec-" + UUID.randomUUID() + ".pid";
        List<String> command = new ArrayList<>(List.of("sh", "-c", WRAPPER, "sh", pidFile, workdir));
        if (!request.env().containsKey("PATH")) {
            command.add("PATH=" + settings.path());
        }
        request.env().forEach((k, v) -> command.add(k + "=" + v));
        if (request.argv().get(0).contains("=")) {
            // env would read it as one more assignment; let a shell run it instead
            command.addAll(List.of("sh", "-c", "exec \"$@\"", "sh"));
        }
        command.addAll(request.argv());
        long generation = stopGeneration;
        long pidsHitsBefore = pidsLimitHits();
        long oomBefore = oomKills();
        running.incrementAndGet();
        ExecCall.Outcome outcome;
        try {
            outcome = ExecCall.run(engine, workers, timers, containerId, "cannot run " + request.argv().get(0) + " in '" + id + "'",
                    command, settings.user(), request.stdin(), request.outputLimit(), listener, request.timeout(),
                    () -> kill(pidFile));
        } catch (StagecraftException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                throw new EnvironmentNotFoundException(id);
            }
            if (e.code() == ErrorCode.ILLEGAL_STATE) {
                throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is not running (status "
                        + status() + "); start it first", e);
            }
            throw e;
        } finally {
            running.decrementAndGet();
        }
        String oom = outOfMemory(outcome, oomBefore);
        if (oom != null) {
            return new ExecResult((int) (outcome.exitCode() < 0 ? 128 + 9 : outcome.exitCode()), outcome.stdout(),
                    outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED, outcome.truncated(), oom);
        }
        if (outcome.timedOut()) {
            return new ExecResult(ExecResult.TIMEOUT_EXIT_CODE, outcome.stdout(), outcome.stderr(), outcome.took(),
                    Termination.TIMEOUT, outcome.truncated(), "killed: timeout " + request.timeout() + " passed");
        }
        if (generation != stopGeneration || destroyed) {
            return new ExecResult((int) (outcome.exitCode() < 0 ? 137 : outcome.exitCode()), outcome.stdout(), outcome.stderr(),
                    outcome.took(), Termination.ENVIRONMENT_STOPPED, outcome.truncated(), "the environment was stopped while it ran");
        }
        if (outcome.exitCode() < 0 || (outcome.exitCode() > 128 && outcome.exitCode() <= 128 + 64)) {
            // Killed, or no exit code: was the container stopped underneath it (an Engine restart, docker stop)?
            String underneath = stoppedUnderneath();
            if (underneath != null && !underneath.isEmpty()) {
                return new ExecResult((int) (outcome.exitCode() < 0 ? 137 : outcome.exitCode()), outcome.stdout(), outcome.stderr(),
                        outcome.took(), Termination.ENVIRONMENT_STOPPED, outcome.truncated(), "environment '" + id
                        + "' stopped while " + request.argv().get(0) + " ran (" + underneath + "; the Docker Engine restarted,"
                        + " or someone stopped it); the next exec starts it again");
            }
            if (outcome.exitCode() < 0) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the exit code of " + request.argv().get(0) + " in '" + id
                        + "' could not be read from the Engine" + (underneath == null ? ": the Docker Engine at " + engine.host()
                        + " stopped answering while it ran; is dockerd running?" : ""));
            }
        }
        int code = (int) outcome.exitCode();
        if (code != 0 && pidsHitsBefore >= 0 && pidsLimitHits() > pidsHitsBefore) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), "failed: process limit " + settings.pids() + " reached");
        }
        if (code == 128 + SIGXFSZ) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), "killed: file size limit " + Quantities.formatBytes(settings.fileSizeBytes()));
        }
        if (code > 128 && code <= 128 + 64) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.SIGNALED,
                    outcome.truncated(), "killed by signal " + (code - 128));
        }
        return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.EXITED,
                outcome.truncated(), "");
    }

    /**
     * After a command died of a signal or without an exit code: "" when the container still runs commands (a probe
     * exec of {@code true} succeeds), else why not ("its container exited, exit code 143"), or null when the Engine
     * does not answer. The probe comes first because the Engine may report the exec's end before the container's:
     * when the Engine stops a container, the exec dies with the container's init and inspect still says running.
     */
    private String stoppedUnderneath() {
        try {
            ExecCall.Outcome probe = ExecCall.run(engine, workers, timers, containerId, "liveness of '" + id + "'",
                    List.of("true"), settings.user(), new byte[0], 4096, null, Duration.ofSeconds(5), () -> { });
            if (probe.exitCode() == 0) {
                return "";
            }
        } catch (StagecraftException e) {
            if (e.code() == ErrorCode.PROVIDER_UNAVAILABLE) {
                return null;
            }
        } catch (RuntimeException e) {
            // below
        }
        InspectContainerResponse.ContainerState state;
        try {
            state = engine.client().inspectContainerCmd(containerId).exec().getState();
        } catch (NotFoundException e) {
            return "its container is gone";
        } catch (RuntimeException e) {
            return null;
        }
        if (Boolean.TRUE.equals(state.getRunning())) {
            return "its container is stopping";
        }
        return "its container " + state.getStatus() + (state.getExitCodeLong() == null ? "" : ", exit code " + state.getExitCodeLong());
    }

    /** OOM kills so far in a runc container's cgroup on this host, or -1 (runsc, or a remote Engine). */
    private long oomKills() {
        return isolation == IsolationLevel.USER_KERNEL ? -1 : cgroup().oomKills();
    }

    /**
     * When an out-of-memory kill hit this container while the command ran: the detail of a
     * {@link Termination#LIMIT_KILLED} result; otherwise null. With runc on a local Engine the cgroup's own count tells
     * (any failing exit: the killed process may have been a child of the command); otherwise the Engine's oom events
     * are asked when the command died of SIGKILL, lost its exit code or its container, or (runsc) failed at all: with
     * runsc the cgroup holds gVisor's Sentry, the guest kernel, and the kill takes the whole container down, while
     * the exec may end with runsc's own error and exit code.
     */
    private String outOfMemory(ExecCall.Outcome outcome, long oomBefore) {
        long code = outcome.exitCode();
        boolean killed;
        if (oomBefore >= 0) {
            killed = code != 0 && oomKills() > oomBefore;
        } else {
            boolean signalled = code == 128 + 9 || code < 0 || outcome.containerExited();
            boolean gvisorFailure = code != 0 && isolation == IsolationLevel.USER_KERNEL;
            killed = (signalled || gvisorFailure) && OomEvents.seen(engine, containerId, outcome.startedAt(), signalled);
        }
        if (!killed) {
            return null;
        }
        long limit = -1;
        boolean running = true;
        // With runsc a killed Sentry takes the container down a moment after the exec ends: wait up to 2 s to say so.
        long end = System.nanoTime() + (isolation == IsolationLevel.USER_KERNEL ? Duration.ofSeconds(2).toNanos() : 0);
        do {
            try {
                InspectContainerResponse inspect = engine.client().inspectContainerCmd(containerId).exec();
                limit = inspect.getHostConfig() == null || inspect.getHostConfig().getMemory() == null ? -1
                        : inspect.getHostConfig().getMemory();
                running = !Boolean.FALSE.equals(inspect.getState().getRunning());
            } catch (RuntimeException e) {
                break; // the detail goes without the number
            }
            if (running && System.nanoTime() - end < 0) {
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
        } while (running && System.nanoTime() - end < 0);
        String detail = "killed: memory limit" + (limit > 0 ? " " + Quantities.formatBytes(limit) : "") + " (out of memory)";
        return running ? detail : detail + "; the kill took the whole container down (with gVisor the guest kernel shares"
                + " the memory limit), so environment '" + id + "' is stopped until it is started again";
    }

    /**
     * Kills the process group whose leader wrote {@code pidFile}, through a second exec. When that exec cannot run
     * (no process slot left inside: a fork bomb at the pids limit, or gVisor refusing the exec with EAGAIN), the
     * container is killed instead: a timeout is enforced even at the price of the environment, which is then STOPPED
     * and starts again on demand.
     */
    private void kill(String pidFile) {
        boolean killed;
        try {
            killed = ExecCall.run(engine, workers, timers, containerId, "kill in '" + id + "'", List.of("sh", "-c", KILLER, "sh", pidFile),
                    settings.user(), new byte[0], 4096, null, Duration.ofSeconds(15), () -> { }).exitCode() == 0;
        } catch (RuntimeException e) {
            killed = false;
        }
        if (!killed) {
            try {
                engine.client().killContainerCmd(containerId).exec();
            } catch (RuntimeException e) {
                // gone or stopped already; the stream is closed after its grace period anyway
            }
        }
    }

    @Override
    public ResourceUsage usage() {
        Instant now = Instant.now();
        LocalCgroup local = cgroup();
        if (local.found() && !networked()) {
            return localUsage(local, now);
        }
        JsonNode stats;
        try {
            stats = engine.getJson("/containers/" + containerId + "/stats?stream=false&one-shot=true");
        } catch (RuntimeException e) {
            return ResourceUsage.unknown(now);
        }
        if (stats == null) {
            return ResourceUsage.unknown(now);
        }
        long cpuTotal = stats.path("cpu_stats").path("cpu_usage").path("total_usage").asLong(-1);
        long systemTotal = stats.path("cpu_stats").path("system_cpu_usage").asLong(-1);
        long cpus = stats.path("cpu_stats").path("online_cpus").asLong(0);
        if (cpus <= 0) {
            cpus = Math.max(1, stats.path("cpu_stats").path("cpu_usage").path("percpu_usage").size());
        }
        double cpuPercent = -1;
        synchronized (this) {
            long preCpu = stats.path("precpu_stats").path("cpu_usage").path("total_usage").asLong(-1);
            long preSystem = stats.path("precpu_stats").path("system_cpu_usage").asLong(-1);
            if (preCpu <= 0 || preSystem <= 0) {
                preCpu = lastCpuTotal;
                preSystem = lastSystemTotal;
            }
            if (cpuTotal >= 0 && systemTotal > 0 && preCpu >= 0 && preSystem > 0 && systemTotal > preSystem) {
                cpuPercent = Math.max(0, (double) (cpuTotal - preCpu) / (systemTotal - preSystem) * cpus * 100.0);
            }
            lastCpuTotal = cpuTotal;
            lastSystemTotal = systemTotal;
        }
        JsonNode memory = stats.path("memory_stats");
        long memoryBytes = memory.path("usage").asLong(-1);
        if (memoryBytes >= 0) {
            long cache = memory.path("stats").path("inactive_file").asLong(memory.path("stats").path("total_inactive_file").asLong(0));
            memoryBytes = Math.max(0, memoryBytes - cache);
        }
        long memoryLimit = memory.path("limit").asLong(-1);
        long rx = -1;
        long tx = -1;
        JsonNode networks = stats.path("networks");
        if (networks.isObject()) {
            rx = 0;
            tx = 0;
            for (Iterator<JsonNode> it = networks.elements(); it.hasNext(); ) {
                JsonNode n = it.next();
                rx += n.path("rx_bytes").asLong(0);
                tx += n.path("tx_bytes").asLong(0);
            }
        }
        long pids = stats.path("pids_stats").path("current").asLong(-1);
        return new ResourceUsage(cpuPercent, memoryBytes, memoryLimit, rx, tx, pids, now);
    }

    /**
     * Usage from the host's cgroup files: CPU % of one core since the previous sample (-1 for the first), memory
     * without the inactive page cache, its limit, pids; no network counters (the container has no network).
     */
    private ResourceUsage localUsage(LocalCgroup local, Instant now) {
        long cpuNanos = local.cpuNanos();
        long sampled = System.nanoTime();
        double cpuPercent = -1;
        synchronized (this) {
            if (cpuNanos >= 0 && lastCpuNanos >= 0 && sampled > lastSampleNanos) {
                cpuPercent = Math.max(0, (double) (cpuNanos - lastCpuNanos) / (sampled - lastSampleNanos) * 100.0);
            }
            lastCpuNanos = cpuNanos;
            lastSampleNanos = sampled;
        }
        long limit = local.memoryLimitBytes();
        return new ResourceUsage(cpuPercent, local.memoryBytes(), limit == Long.MAX_VALUE ? -1 : limit, -1, -1,
                local.pidsCurrent(), now);
    }

    /** Whether the container has a network besides loopback (its counters then come from the Engine's stats). */
    private boolean networked() {
        Boolean known = networked;
        if (known == null) {
            try {
                String mode = engine.client().inspectContainerCmd(containerId).exec().getHostConfig().getNetworkMode();
                known = mode != null && !mode.equals("none");
            } catch (RuntimeException e) {
                return true;
            }
            networked = known;
        }
        return known;
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
