package com.example.stagecraft.firejail;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One firejail environment: a workspace, its state record and (as root) its cgroup. Each command is a fresh firejail
 * sandbox over the workspace; nothing runs between commands (what a command left is killed when the last running one
 * ends), so stop ends the running commands and start only clears the mark.
 */
final class FirejailEnvironment implements ExecutionEnvironment {
    private final EnvironmentState state;
    private final Labels labels;
    private final Path workspace;
    private final FirejailSettings settings;
    private final SandboxUser user;
    private final WorkspaceFiles files;
    private final Optional<EnvironmentCgroup> cgroup;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    /** Commands between execute() and their end, counted before their process starts (a start then races no kill). */
    private final AtomicInteger commands = new AtomicInteger();
    private final CpuSampler cpu = new CpuSampler();

    FirejailEnvironment(EnvironmentState state, Labels labels, Path workspace, FirejailSettings settings, SandboxUser user,
                        Optional<EnvironmentCgroup> cgroup) {
        this.state = state;
        this.labels = labels;
        this.workspace = workspace;
        this.settings = settings;
        this.user = user;
        this.files = new WorkspaceFiles(workspace, user);
        this.cgroup = cgroup;
    }

    @Override public String id() { return state.id(); }
    @Override public String kind() { return FirejailProvider.KIND; }
    @Override public IsolationLevel isolation() { return IsolationLevel.PROCESS; }
    @Override public Labels labels() { return labels; }

    @Override
    public EnvironmentStatus status() {
        if (!state.exists()) {
            return EnvironmentStatus.STOPPED;
        }
        if (state.stopped()) {
            return EnvironmentStatus.STOPPED;
        }
        return running.isEmpty() ? EnvironmentStatus.READY : EnvironmentStatus.RUNNING;
    }

    @Override
    public void start() {
        requireExists();
        mark(false);
    }

    @Override
    public void stop() {
        if (state.exists()) {
            mark(true);
        }
        running.forEach(CommandRun::killTree);
        cgroup.ifPresent(EnvironmentCgroup::killAll);
    }

    @Override
    public void destroy() {
        stop();
        try {
            if (cgroup.isPresent()) {
                cgroup.get().remove();
            }
            EnvironmentState.deleteTree(state.directory());
            EnvironmentState.deleteTree(workspace);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove environment " + id(), e);
        }
    }

    @Override
    public ExecResult execute(ExecRequest request) {
        requireExists();
        if (state.stopped()) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id() + "' is stopped: start it first");
        }
        Path workingDir = request.workingDir().map(files::directory).orElse(workspace);
        long oomBefore = cgroup.map(EnvironmentCgroup::oomKills).orElse(-1L);
        long pidsBefore = cgroup.map(EnvironmentCgroup::pidsLimitHits).orElse(-1L);
        commands.incrementAndGet();
        ExecResult result;
        try {
            result = CommandRun.run(FirejailCommand.of(settings, user, workspace, workingDir, cgroup, request),
                    request, running::add, running::remove, this::timedOut);
        } finally {
            if (commands.decrementAndGet() == 0) {
                // the last running command has ended: nothing of the environment may go on running
                cgroup.ifPresent(EnvironmentCgroup::killAll);
            }
        }
        return Outcomes.classify(result, settings, cgroup, oomBefore, pidsBefore, id());
    }

    /** A command ran past its timeout: where it is the only one running, everything in the cgroup is its. */
    private void timedOut() {
        if (commands.get() <= 1) {
            cgroup.ifPresent(EnvironmentCgroup::killAll);
        }
    }

    @Override
    public ResourceUsage usage() {
        Instant now = Instant.now();
        if (cgroup.isEmpty() || !cgroup.get().exists()) {
            // without a cgroup (not root) there is nothing per environment to sample
            return ResourceUsage.unknown(now);
        }
        EnvironmentCgroup c = cgroup.get();
        return new ResourceUsage(cpu.percentSinceLast(c.cpuNanos()), c.memoryBytes(), c.memoryLimit(), -1, -1,
                c.pidsCurrent(), now);
    }

    @Override
    public void putFile(String path, byte[] content) {
        requireExists();
        files.put(path, content);
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        requireExists();
        return files.get(path, maxBytes);
    }

    private void requireExists() {
        if (!state.exists()) {
            throw StagecraftException.notFound(id());
        }
    }

    private void mark(boolean stopped) {
        try {
            state.markStopped(stopped);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the status of environment " + id(), e);
        }
    }
}
