package dev.stagecraft.api;

import java.time.Instant;
import java.util.Optional;

/**
 * One live environment made by a provider: a sandbox, a container, a VM... It is safe to call from several
 * threads; several commands may run in it at once unless the provider says otherwise.
 *
 * <p>Lifecycle: see {@link EnvironmentStatus}. {@link #destroy()} is idempotent and must leave nothing
 * behind: no process, container, VM, cgroup, mount, directory or volume of this environment.
 */
public interface ExecutionEnvironment {
    /** The id the manager assigned ({@link EnvironmentSpec#id()}); unique across providers. */
    String id();

    /** The provider kind that made it. */
    String kind();

    /** The isolation class it gives. */
    IsolationLevel isolation();

    /** The labels carried by every resource of this environment. */
    Labels labels();

    default Instant createdAt() {
        return labels().createdAt();
    }

    /**
     * Writes down on the backend that this environment is in use until {@code until} (a command's deadline while it
     * runs), so that a manager on another host, which cannot see this host's records, does not count it idle and
     * reap it. The manager calls this on every exec, file call and start: it must return at once (write in the
     * background, and as seldom as {@link #recordedUse()} allows) and never throw. The default writes nothing, for
     * backends only one host can reach.
     */
    default void recordUse(Instant until) {
    }

    /**
     * The latest instant up to which any manager said, through {@link #recordUse}, that this environment is in use;
     * a provider that writes only now and then answers with the end of its window, never earlier than a real use.
     * Empty when the backend keeps no such record. May ask the backend: the manager calls it only before it would
     * reap the environment as idle. Throws when the backend cannot be asked (the environment is then kept).
     */
    default Optional<Instant> recordedUse() {
        return Optional.empty();
    }

    /** The current status, read from the backend where that is cheap. */
    EnvironmentStatus status();

    /** Makes a STOPPED environment READY again; a no-op when already READY or RUNNING. */
    void start();

    /** Stops whatever runs inside and releases compute; the workspace is kept. Idempotent. */
    void stop();

    /** Stops and removes every resource of this environment. Idempotent; never throws for "already gone". */
    void destroy();

    /**
     * Runs one command to completion (or to its timeout, which kills the command's whole process tree) and
     * returns its outcome. A command that fails is a result, not an exception; exceptions mean the command
     * could not be run at all ({@link ErrorCode#ILLEGAL_STATE}, {@link ErrorCode#EXEC_FAILED}).
     */
    ExecResult execute(ExecRequest request);

    /**
     * Runs one command and hands its output to {@code listener} as it comes. The returned result's stdout and
     * stderr are empty unless the provider cannot stream, in which case this default runs {@link #execute}
     * and delivers the output once it has ended.
     */
    default ExecResult execute(ExecRequest request, OutputListener listener) {
        ExecResult result = execute(request);
        byte[] out = result.stdout();
        byte[] err = result.stderr();
        listener.stdout(out, 0, out.length);
        listener.stderr(err, 0, err.length);
        return result;
    }

    /** A sample of current resource use; fields the backend cannot measure are -1. Never throws for a live environment. */
    ResourceUsage usage();

    /**
     * Writes {@code content} to {@code path} in the workspace, creating parent directories. Refuses, with
     * {@link PathEscapeException}, any path that would leave the workspace, including through a symlink.
     */
    void putFile(String path, byte[] content);

    /**
     * Reads the file at {@code path} in the workspace, at most {@code maxBytes}. Refuses, with
     * {@link PathEscapeException}, any path that would leave the workspace, including through a symlink
     * planted by the code inside: a host file must never come back.
     */
    byte[] getFile(String path, long maxBytes);
}
