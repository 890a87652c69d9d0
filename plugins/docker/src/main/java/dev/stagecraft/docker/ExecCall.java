package dev.stagecraft.docker;

import com.github.dockerjava.api.command.InspectExecResponse;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One command through the Engine's exec API: created with docker-java, started on a connection of its own that is
 * hijacked for the streams ({@link EngineConnection}). Stdin is written by a worker and the connection half-closed
 * after it, so the command sees end-of-file. Stdout and stderr arrive multiplexed (8-byte frame headers); each is
 * kept up to the output limit and the rest is read and dropped, so the command never blocks on a full pipe.
 *
 * <p>At the timeout {@code onTimeout} runs (the environment kills the command's process group through a second
 * exec); if the stream has still not ended {@link #CLOSE_GRACE} later, the connection is closed.
 *
 * <p>While a command runs past {@link #WATCH_EVERY}, the container is inspected that often: when it is no longer
 * running the connection is closed at once. With runsc the Engine never ends the stream of an exec whose container
 * died (gVisor's Sentry killed for the memory limit), so without this the call would wait for its timeout.
 */
final class ExecCall {
    static final Duration CLOSE_GRACE = Duration.ofSeconds(4);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(5);
    static final Duration WATCH_EVERY = Duration.ofSeconds(1);
    static final byte[] START_BODY = "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.US_ASCII);

    /**
     * How one exec ended.
     *
     * @param exitCode  the exit code the Engine reports, or -1 when it could not be read
     * @param timedOut  whether the timeout passed before the streams ended
     * @param containerExited whether the container stopped running while the command ran
     * @param startedAt when the exec was created
     * @param agentAnswered whether the exec agent reported the exit code, which proves the container still ran after
     *                      the command ended
     */
    record Outcome(long exitCode, byte[] stdout, byte[] stderr, boolean truncated, boolean timedOut, boolean containerExited,
                   Duration took, Instant startedAt, boolean agentAnswered) {
        String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        String stderrText() {
            return new String(stderr, StandardCharsets.UTF_8);
        }
    }

    private ExecCall() {
    }

    static Outcome run(Engine engine, ExecutorService workers, ScheduledExecutorService timers, String containerId,
                       String what, List<String> command, String user, byte[] stdin, long outputLimit,
                       OutputListener listener, Duration timeout, Runnable onTimeout) {
        long started = System.nanoTime();
        Instant startedAt = Instant.now();
        String execId = engine.call(ErrorCode.EXEC_FAILED, what, () -> engine.client().execCreateCmd(containerId)
                .withCmd(command.toArray(String[]::new)).withUser(user).withAttachStdin(stdin.length > 0)
                .withAttachStdout(true).withAttachStderr(true).withTty(false).exec().getId());
        CappedOutput out = new CappedOutput(outputLimit);
        CappedOutput err = new CappedOutput(outputLimit);
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicBoolean containerExited = new AtomicBoolean();
        EngineConnection connection;
        try {
            connection = engine.connect();
        } catch (IOException e) {
            throw engine.unreachable(e);
        }
        ScheduledFuture<?> timer = null;
        ScheduledFuture<?> closer = null;
        ScheduledFuture<?> watch = null;
        try {
            connection.send("POST", "/exec/" + execId + "/start",
                    Map.of("Content-Type", "application/json", "Connection", "Upgrade", "Upgrade", "tcp"), START_BODY);
            if (connection.status() != 101 && connection.status() != 200) {
                String message = Engine.engineMessage(connection.bodyText(4096));
                throw new StagecraftException(connection.status() == 409 ? ErrorCode.ILLEGAL_STATE
                        : connection.status() == 404 ? ErrorCode.NOT_FOUND : ErrorCode.EXEC_FAILED,
                        what + ": the Engine refused to start the exec (" + connection.status() + "): " + message);
            }
            EngineConnection c = connection;
            if (stdin.length > 0) {
                workers.execute(() -> {
                    try {
                        c.write(stdin);
                        c.shutdownOutput();
                    } catch (IOException ignored) {
                        // the command ended without reading all of its stdin: as with a closed pipe
                    }
                });
            }
            long timeoutNanos = timeout.toNanos();
            timer = timers.schedule(() -> {
                timedOut.set(true);
                workers.execute(onTimeout);
            }, timeoutNanos, TimeUnit.NANOSECONDS);
            closer = timers.schedule(c::close, timeoutNanos + CLOSE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
            long every = WATCH_EVERY.toNanos();
            watch = timers.scheduleWithFixedDelay(() -> workers.execute(() -> {
                if (!containerRunning(engine, containerId)) {
                    containerExited.set(true);
                    c.close();
                }
            }), every, every, TimeUnit.NANOSECONDS);
            demultiplex(connection.body(), out, err, listener);
        } catch (IOException e) {
            if (!timedOut.get() && !containerExited.get()) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": the exec stream broke: "
                        + Engine.oneLine(String.valueOf(e.getMessage())), e);
            }
        } finally {
            EngineConnection.cancel(timer, closer, watch);
            connection.close();
        }
        long exitCode = exitCode(engine, execId, containerExited.get() ? Duration.ZERO : EXIT_WAIT);
        return new Outcome(exitCode, out.bytes(), err.bytes(), out.truncated() || err.truncated(), timedOut.get(),
                containerExited.get(), Duration.ofNanos(System.nanoTime() - started), startedAt, false);
    }

    /** False only when the Engine says the container is not running (an Engine that does not answer: true). */
    static boolean containerRunning(Engine engine, String containerId) {
        try {
            return !Boolean.FALSE.equals(engine.client().inspectContainerCmd(containerId).exec().getState().getRunning());
        } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
            return false;
        } catch (RuntimeException unknown) {
            return true;
        }
    }

    /** The exit code once the Engine marks the exec finished (it may lag the stream's end by a little). */
    private static long exitCode(Engine engine, String execId, Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            InspectExecResponse inspect;
            try {
                inspect = engine.client().inspectExecCmd(execId).exec();
            } catch (RuntimeException e) {
                return -1;
            }
            if (!Boolean.TRUE.equals(inspect.isRunning()) && inspect.getExitCodeLong() != null) {
                return inspect.getExitCodeLong();
            }
            if (System.nanoTime() - end > 0) {
                return -1;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    private static void demultiplex(InputStream in, CappedOutput out, CappedOutput err, OutputListener listener) throws IOException {
        byte[] header = new byte[8];
        byte[] chunk = new byte[32 * 1024];
        while (EngineConnection.readFully(in, header)) {
            int type = header[0];
            long size = ((header[4] & 0xffL) << 24) | ((header[5] & 0xffL) << 16) | ((header[6] & 0xffL) << 8) | (header[7] & 0xffL);
            CappedOutput target = type == 1 ? out : err;
            while (size > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, size));
                if (n < 0) {
                    return;
                }
                size -= n;
                int kept = target.add(chunk, 0, n);
                if (kept > 0 && listener != null) {
                    if (type == 1) {
                        listener.stdout(chunk, 0, kept);
                    } else {
                        listener.stderr(chunk, 0, kept);
                    }
                }
            }
        }
    }
}
