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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One firejail environment: a workspace and its state record. Each command is a fresh firejail sandbox over the
 * workspace; nothing runs between commands, so stop ends the running commands and start only clears the mark.
 */
final class FirejailEnvironment implements ExecutionEnvironment {
    private final EnvironmentState state;
    private final Labels labels;
    private final Path workspace;
    private final FirejailSettings settings;
    private final SandboxUser user;
    private final WorkspaceFiles files;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    FirejailEnvironment(EnvironmentState state, Labels labels, Path workspace, FirejailSettings settings, SandboxUser user) {
        this.state = state;
        this.labels = labels;
        this.workspace = workspace;
        this.settings = settings;
        this.user = user;
        this.files = new WorkspaceFiles(workspace, user);
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
    }

    @Override
    public void destroy() {
        stop();
        try {
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
        return CommandRun.run(FirejailCommand.of(settings, user, workspace, workingDir, request), request,
                running::add, running::remove);
    }

    @Override
    public ResourceUsage usage() {
        // firejail puts a command in no cgroup of its own: there is nothing per environment to sample
        return ResourceUsage.unknown(Instant.now());
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
