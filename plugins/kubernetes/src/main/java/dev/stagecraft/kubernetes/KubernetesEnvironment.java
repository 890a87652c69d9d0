package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentNotFoundException;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One environment: a pod (see {@link PodManifest}), reached through the exec API ({@link PodExec}) with the scripts of
 * {@link PodScripts}. Its state lives on the cluster: the pod's phase, and a {@value #STOPPED} annotation that
 * {@link #stop()} sets (and a timeout's kill that had to kill every process inside). Kubernetes cannot pause a pod,
 * and deleting it would lose the emptyDir workspace, so a stopped environment keeps its pod (and the CPU and memory it
 * reserved) with every command killed; {@link #start()} clears the mark. A pod made by an older provider, without the
 * run files' tmpfs, refuses commands (see {@link PodDiscovery}).
 */
final class KubernetesEnvironment implements dev.stagecraft.api.ExecutionEnvironment {
    static final String STOPPED = Labels.PREFIX + "stopped";
    private static final Duration FILE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(15);
    /** Files up to this size go through an agent, base64 in the request line (under its 64 KiB); larger ones by exec. */
    private static final int INLINE_PUT_MAX = 32 * 1024;
    private static final int SIGKILL_EXIT = Terminations.exitCodeOf(9);
    private static final int SIGXFSZ_EXIT = Terminations.exitCodeOf(25);

    private final String id;
    private final Labels labels;
    private final IsolationLevel isolation;
    private final KubernetesClient client;
    private final KubernetesSettings settings;
    private final String pod;
    private final PodExec exec;
    private final AgentPool agents;
    private final PodRemoval removal;
    private final PodUseRecords uses;
    private final long memoryLimit;
    private final boolean hasRunDir;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong stopGeneration = new AtomicLong();
    private volatile boolean stopped;
    private volatile boolean destroyed;
    private volatile boolean sawStart;
    private volatile long[] lastCpuSample;

    KubernetesEnvironment(String id, Labels labels, IsolationLevel isolation, KubernetesClient client, KubernetesSettings settings,
                          long memoryLimit, boolean stopped, boolean hasRunDir, ExecutorService workers, PodRemoval removal,
                          PodUseRecords uses) {
        this.id = id;
        this.labels = labels;
        this.isolation = isolation;
        this.client = client;
        this.settings = settings;
        this.pod = PodLabels.objectName(id);
        this.memoryLimit = memoryLimit;
        this.stopped = stopped;
        this.hasRunDir = hasRunDir;
        this.removal = removal;
        this.uses = uses;
        this.exec = new PodExec(client, settings.namespace(), pod, id, workers);
        this.agents = new AgentPool(client, settings.namespace(), pod, id, workers);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String kind() {
        return KubernetesProvider.KIND;
    }

    @Override
    public IsolationLevel isolation() {
        return isolation;
    }

    @Override
    public Labels labels() {
        return labels;
    }

    String podName() {
        return pod;
    }

    @Override
    public EnvironmentStatus status() {
        if (destroyed) {
            return EnvironmentStatus.STOPPED;
        }
        Pod current;
        try {
            current = client.pods().inNamespace(settings.namespace()).withName(pod).get();
        } catch (RuntimeException e) {
            return EnvironmentStatus.ERROR;
        }
        if (current == null) {
            return EnvironmentStatus.ERROR;
        }
        if (current.getMetadata().getDeletionTimestamp() != null) {
            return EnvironmentStatus.STOPPING;
        }
        String phase = phaseOf(current);
        return switch (phase) {
            case "Pending" -> EnvironmentStatus.CREATING;
            case "Running" -> stopped ? EnvironmentStatus.STOPPED
                    : running.get() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
            default -> EnvironmentStatus.ERROR;
        };
    }

    @Override
    public void start() {
        requireNotDestroyed();
        Pod current = client.pods().inNamespace(settings.namespace()).withName(pod).get();
        if (current == null) {
            throw new EnvironmentNotFoundException(id);
        }
        String phase = phaseOf(current);
        if (!"Running".equals(phase)) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "': its pod " + settings.namespace()
                    + "/" + pod + " is " + phase + " and cannot run commands again; destroy it and create a new one");
        }
        if (stopped) {
            mark(false);
        }
    }

    /** Notes that the pod's container was seen running ({@link PodStart}), which its status may not show yet. */
    void sawStart() {
        sawStart = true;
    }

    /**
     * The pod's phase; Running for a Pending pod whose container started, as {@link PodStart} tells before the kubelet's
     * status does (one list of its events, until a look finds it started).
     */
    private String phaseOf(Pod current) {
        String phase = current.getStatus() == null ? "Pending" : String.valueOf(current.getStatus().getPhase());
        if ("Pending".equals(phase) && !sawStart
                && PodStart.announced(client, settings.namespace(), pod, current.getMetadata().getUid())) {
            sawStart = true;
        }
        return "Pending".equals(phase) && sawStart ? "Running" : phase;
    }

    @Override
    public void stop() {
        if (destroyed || stopped) {
            return;
        }
        stopGeneration.incrementAndGet();
        stopped = true;
        helper(PodScripts.STOP); // ends the agents too
        agents.drain();
        mark(true);
    }

    /** Writes or clears the stopped mark on the pod, so that another process that adopts it sees it too. */
    private void mark(boolean value) {
        try {
            // a merge patch, not an edit: the last-use record is written to the same pod in the background, and an
            // edit's optimistic lock failed with 409 Conflict when the two met
            client.pods().inNamespace(settings.namespace()).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\"" + STOPPED + "\":" + (value ? "\"true\"" : "null") + "}}}");
        } catch (RuntimeException e) {
            if (Messages.code(e) == 404) {
                throw new EnvironmentNotFoundException(id);
            }
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot mark pod " + pod + " of '" + id + "' "
                    + (value ? "stopped" : "started") + ": " + Messages.oneLine(e));
        }
        stopped = value;
    }

    @Override
    public void destroy() {
        destroyed = true;
        uses.forget(settings.namespace(), pod);
        agents.close();
        removal.remove(id);
    }

    /** Written on the pod for managers on other hosts ({@link PodUseRecords}); at most once per 10 s, in the background. */
    @Override
    public void recordUse(Instant until) {
        if (!destroyed) {
            uses.record(settings.namespace(), pod, until);
        }
    }

    @Override
    public Optional<Instant> recordedUse() {
        try {
            return uses.read(settings.namespace(), pod);
        } catch (RuntimeException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot read when pod " + pod + " of '" + id
                    + "' was last used: " + Messages.oneLine(e));
        }
    }

    @Override
    public ExecResult execute(ExecRequest request) {
        return run(request, null);
    }

    @Override
    public ExecResult execute(ExecRequest request, OutputListener listener) {
        return run(request, listener);
    }

    private ExecResult run(ExecRequest request, OutputListener listener) {
        requireNotDestroyed();
        if (stopped) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is stopped; start it first");
        }
        if (!hasRunDir) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' cannot run commands: its pod "
                    + settings.namespace() + "/" + pod + " was made by an older provider, without " + PodScripts.RUN_DIR
                    + " for the run files; copy its files out, destroy it and create a new one");
        }
        String workdir = PodScripts.WORKSPACE + request.workingDir().map(d -> "/" + WorkspacePath.of(d).relative()).orElse("");
        String runId = UUID.randomUUID().toString();
        byte[] stdin = request.stdin();
        List<String> command = new ArrayList<>(List.of("sh", "-c", PodScripts.RUN, "sh", runId, workdir,
                Integer.toString(stdin.length), Long.toString(settings.openFiles()), Long.toString(settings.fileSizeBytes()),
                Long.toString(settings.processes()),
                "HOME=" + PodScripts.WORKSPACE, "LANG=C.UTF-8"));
        if (!request.env().containsKey("PATH")) {
            command.add("PATH=" + settings.path());
        }
        request.env().forEach((k, v) -> command.add(k + "=" + v));
        if (request.argv().get(0).contains("=")) {
            // env would take it for one more assignment: a shell runs it instead
            command.addAll(List.of("sh", "-c", "exec \"$@\"", "sh"));
        }
        command.addAll(request.argv());
        long generation = stopGeneration.get();
        running.incrementAndGet();
        PodExec.Outcome outcome;
        try {
            Runnable kill = () -> killAtTimeout(runId);
            outcome = agents.run(command.subList(4, command.size()), stdin, request.outputLimit(), listener, request.timeout(),
                            kill, PodExec.AFTER_KILL)
                    .orElseGet(() -> exec.run(command, stdin, request.outputLimit(), listener, request.timeout(), kill));
        } finally {
            running.decrementAndGet();
        }
        if (outcome.timedOut()) {
            ExecResult result = Terminations.timedOut(request.timeout(), outcome.stdout(), outcome.stderr(), outcome.took(),
                    outcome.truncated());
            return stopGeneration.get() == generation ? result : result.withNote("environment '" + id + "' is stopped until"
                    + " it is started again: the kill could not finish, so every process inside was killed");
        }
        int code = outcome.exitCode();
        if (stopGeneration.get() != generation) {
            return new ExecResult(code < 0 ? SIGKILL_EXIT : code, outcome.stdout(), outcome.stderr(), outcome.took(),
                    Termination.ENVIRONMENT_STOPPED, outcome.truncated(), "the environment was stopped while it ran");
        }
        if (code < 0) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "no exit code came back for " + request.argv().get(0) + " in '"
                    + id + "' (status " + status() + "): the apiserver or kubelet dropped the exec stream");
        }
        if (code == SIGKILL_EXIT && helper(PodScripts.OOM_NOTE, runId).stdoutText().startsWith("oom")) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.memoryLimit(memoryLimit) + " (out of memory)");
        }
        if (code == SIGXFSZ_EXIT) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.fileSizeLimit(settings.fileSizeBytes()));
        }
        return Terminations.ended(code, outcome.stdout(), outcome.stderr(), outcome.took(), outcome.truncated());
    }

    /**
     * Kills run {@code runId} at its timeout ({@link PodScripts#KILL}). When its process group and session could not
     * be swept (a fork bomb refilling the slots the kill freed), the script killed every process inside; when the
     * script could not run or finish, {@link PodScripts#KILL_EVERYTHING} does. The environment is then stopped, as
     * {@link #stop()} would leave it, and its other commands end as stopped. When neither could run, nothing more can
     * be done through the exec API: the command's processes may go on, held by the nproc limit, until a stop or destroy.
     */
    private void killAtTimeout(String runId) {
        int killed = helper(PodScripts.KILL, runId).exitCode();
        if (killed != 0 && killed != PodScripts.KILLED_EVERYTHING) {
            // the kill could not run or finish: the one step that needs no fork inside
            killed = helper(PodScripts.KILL_EVERYTHING).exitCode();
        }
        if (killed != PodScripts.KILLED_EVERYTHING) {
            return;
        }
        stopGeneration.incrementAndGet();
        stopped = true;
        try {
            mark(true);
        } catch (StagecraftException e) {
            // this instance holds the mark; another process that adopts the pod sees it running, with nothing inside
        }
    }

    /**
     * Runs one of the provider's own scripts (kill, stop, the OOM note) with {@code args}; never throws. Exit 1 when it
     * could not run, or did not end within {@link #HELPER_TIMEOUT}.
     */
    private ExecResult helper(String script, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        command.addAll(List.of(args));
        try {
            PodExec.Outcome o = exec.run(command, new byte[0], 1 << 16, null, HELPER_TIMEOUT, () -> { });
            return Terminations.ended(o.timedOut() || o.exitCode() < 0 ? 1 : o.exitCode(), o.stdout(), o.stderr(), o.took(),
                    o.truncated());
        } catch (RuntimeException e) {
            return Terminations.ended(1, new byte[0], new byte[0], Duration.ZERO, false);
        }
    }

    @Override
    public ResourceUsage usage() {
        Instant now = Instant.now();
        if (destroyed) {
            return ResourceUsage.unknown(now);
        }
        PodExec.Outcome o;
        try {
            // through an agent where one is free (the manager asks after every command), else an exec of its own
            List<String> runArgs = new ArrayList<>(helperRunPrefix());
            runArgs.addAll(List.of("sh", "-c", PodScripts.USAGE));
            o = (stopped || !hasRunDir ? java.util.Optional.<PodExec.Outcome>empty()
                    : agents.run(runArgs, new byte[0], 1 << 16, null, HELPER_TIMEOUT, () -> { }, PodExec.AFTER_KILL))
                    .orElseGet(() -> exec.run(List.of("sh", "-c", PodScripts.USAGE), new byte[0], 1 << 16, null, HELPER_TIMEOUT, () -> { }));
        } catch (RuntimeException e) {
            return ResourceUsage.unknown(now);
        }
        return CgroupSample.parse(new String(o.stdout(), java.nio.charset.StandardCharsets.UTF_8), System.nanoTime(), now, this);
    }

    /** The previous CPU sample ({cpu-ns, nanoTime}) and the new one; CPU % is their difference. */
    synchronized long[] swapCpuSample(long[] next) {
        long[] previous = lastCpuSample;
        lastCpuSample = next;
        return previous;
    }

    /** How many execs of its own this environment opened: the commands and files that no agent took. */
    int execsOpened() {
        return exec.opened();
    }

    @Override
    public void putFile(String path, byte[] content) {
        WorkspacePath target = WorkspacePath.of(path);
        PodExec.Outcome o = null;
        if (content.length <= Math.min(INLINE_PUT_MAX, settings.fileSizeBytes())) { // the agent's commands run under fsize
            List<String> inline = new ArrayList<>(List.of("sh", "-c", PodScripts.PUT_INLINE, "sh",
                    Base64.getEncoder().encodeToString(content)));
            inline.addAll(target.segments());
            o = throughAgent(inline, 4096).filter(ran -> ran.exitCode() != 7).orElse(null);
        }
        if (o == null) {
            List<String> command = new ArrayList<>(List.of("sh", "-c", PodScripts.PUT, "sh", Integer.toString(content.length)));
            command.addAll(target.segments());
            o = fileCall(command, content, 4096);
        }
        switch (o.exitCode()) {
            case 0 -> { }
            case 3 -> throw new dev.stagecraft.api.PathEscapeException(path, "a symlink on the way, or the path leaves the workspace");
            case 5 -> throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "cannot write '" + path + "' in '" + id + "': it is a directory");
            default -> throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot write '" + path + "' in '" + id + "' (exit "
                    + o.exitCode() + "): " + new String(o.stderr(), java.nio.charset.StandardCharsets.UTF_8).trim());
        }
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        WorkspacePath target = WorkspacePath.of(path);
        List<String> command = new ArrayList<>(List.of("sh", "-c", PodScripts.GET, "sh", Long.toString(maxBytes)));
        command.addAll(target.segments());
        long limit = Math.max(1, maxBytes);
        PodExec.Outcome o = throughAgent(command, limit).orElseGet(() -> fileCall(command, new byte[0], limit));
        return switch (o.exitCode()) {
            case 0 -> o.stdout();
            case 3 -> throw new dev.stagecraft.api.PathEscapeException(path, "a symlink on the way, or the path leaves the workspace");
            case 4, 5 -> throw new StagecraftException(ErrorCode.NOT_FOUND, "no file '" + path + "' in the workspace of '" + id + "'");
            default -> throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read '" + path + "' in '" + id + "' (exit "
                    + o.exitCode() + "): " + new String(o.stderr(), java.nio.charset.StandardCharsets.UTF_8).trim());
        };
    }

    /**
     * One of the file scripts through a free agent, as a command of its own under the RUN wrapper (the same user,
     * limits and sweep as any command); empty when no agent took it (stopped, an older pod, all busy, a request line too
     * long), and the caller then opens an exec of its own.
     */
    private Optional<PodExec.Outcome> throughAgent(List<String> command, long limit) {
        requireNotDestroyed();
        if (stopped || !hasRunDir) {
            return Optional.empty();
        }
        List<String> runArgs = new ArrayList<>(helperRunPrefix());
        runArgs.addAll(command);
        Optional<PodExec.Outcome> o = agents.run(runArgs, new byte[0], limit, null, FILE_TIMEOUT, () -> { }, PodExec.AFTER_KILL);
        if (o.isPresent() && o.get().timedOut()) {
            throw new StagecraftException(ErrorCode.EXEC_TIMEOUT, "a file transfer in '" + id + "' took longer than " + FILE_TIMEOUT);
        }
        return o;
    }

    /** The RUN wrapper's arguments before the command, for the provider's own short scripts through an agent. */
    private List<String> helperRunPrefix() {
        return List.of(UUID.randomUUID().toString(), PodScripts.WORKSPACE, "0", Long.toString(settings.openFiles()),
                Long.toString(settings.fileSizeBytes()), "0", "PATH=" + settings.path());
    }

    private PodExec.Outcome fileCall(List<String> command, byte[] stdin, long limit) {
        requireNotDestroyed();
        PodExec.Outcome o = exec.run(command, stdin, limit, null, FILE_TIMEOUT, () -> { });
        if (o.timedOut()) {
            throw new StagecraftException(ErrorCode.EXEC_TIMEOUT, "a file transfer in '" + id + "' took longer than " + FILE_TIMEOUT);
        }
        return o;
    }

    private void requireNotDestroyed() {
        if (destroyed) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' was destroyed");
        }
    }
}
