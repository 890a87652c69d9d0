package dev.stagecraft.docker;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One command through the exec agent, with the same guarantees as an {@link ExecCall}: output capped as it comes, the
 * timeout's kill ({@code onTimeout}, an Engine exec that kills the process group), the container watched each second
 * while the command runs, and the channel closed {@link ExecCall#CLOSE_GRACE} after the timeout if the agent has still
 * not answered, so no call outlives its timeout by more than that.
 *
 * <p>The answer is trusted only as far as it parses: both markers must come, with the same status, an exit code from
 * 0 to 255; one missing for {@link #HALF_ANSWER_WAIT} after the other, or a malformed one, is a broken agent
 * ({@code EXEC_FAILED}).
 */
final class AgentCall {
    static final Duration HALF_ANSWER_WAIT = Duration.ofSeconds(2);
    /** How long a timed-out call waits for its kill (and the kill's sweep) to end before it returns. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(20);
    private static final long SLICE_NANOS = Duration.ofMillis(100).toNanos();

    private AgentCall() {
    }

    /**
     * Runs {@code request} (from {@link AgentRequest#run}) on the acquired {@code channel}, dropping what comes before
     * its begin marker when {@code awaitBegin} (the agent writes them). Returns the outcome; its
     * exit code is -1 when the agent did not answer (the stream ended or was closed), with {@code containerExited}
     * saying whether the container stopped.
     */
    static ExecCall.Outcome run(AgentChannel channel, String nonce, boolean awaitBegin, byte[] request, Engine engine, ExecutorService workers,
                                ScheduledExecutorService timers, String containerId, String what, long outputLimit,
                                OutputListener listener, Duration timeout, Runnable onTimeout) {
        long started = System.nanoTime();
        Instant startedAt = Instant.now();
        CappedOutput out = new CappedOutput(outputLimit);
        CappedOutput err = new CappedOutput(outputLimit);
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicBoolean containerExited = new AtomicBoolean();
        AtomicReference<Future<?>> kill = new AtomicReference<>();
        AgentChannel.Exchange exchange = channel.open(nonce, awaitBegin, out, err, listener);
        ScheduledFuture<?> timer = null;
        ScheduledFuture<?> closer = null;
        ScheduledFuture<?> watch = null;
        try {
            long timeoutNanos = timeout.toNanos();
            timer = timers.schedule(() -> {
                timedOut.set(true);
                kill.set(workers.submit(onTimeout));
            }, timeoutNanos, TimeUnit.NANOSECONDS);
            closer = timers.schedule(channel::close, timeoutNanos + ExecCall.CLOSE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
            long every = ExecCall.WATCH_EVERY.toNanos();
            watch = timers.scheduleWithFixedDelay(() -> workers.execute(() -> {
                if (!ExecCall.containerRunning(engine, containerId)) {
                    containerExited.set(true);
                    channel.close();
                }
            }), every, every, TimeUnit.NANOSECONDS);
            channel.send(request);
            while (!exchange.await(SLICE_NANOS)) {
                long half = exchange.halfAnsweredSince();
                if (half != 0 && System.nanoTime() - half > HALF_ANSWER_WAIT.toNanos()) {
                    channel.close();
                    throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": the exec agent answered on one stream"
                            + " only (for " + HALF_ANSWER_WAIT.toSeconds() + " s); it is not used again until the environment starts again");
                }
            }
        } catch (IOException e) {
            // the stream broke while the request was written: as when it ends before the answer
            channel.close();
            awaitQuietly(exchange);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": interrupted");
        } finally {
            EngineConnection.cancel(timer, closer, watch);
            channel.finish(exchange);
        }
        awaitKill(kill.get());
        if (exchange.listenerFailure() != null) {
            throw exchange.listenerFailure();
        }
        String violation = exchange.violation();
        if (violation != null) {
            channel.close();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": the exec agent broke its protocol (" + violation
                    + "); it is not used again until the environment starts again");
        }
        String status = exchange.status();
        long exitCode = -1;
        if (status != null) {
            exitCode = exitCode(status);
            if (exitCode < 0) {
                channel.close();
                throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": the exec agent answered '" + status
                        + "', not an exit code; it is not used again until the environment starts again");
            }
        } else if (!containerExited.get() && !ExecCall.containerRunning(engine, containerId)) {
            containerExited.set(true);
        }
        return new ExecCall.Outcome(exitCode, out.bytes(), err.bytes(), out.truncated() || err.truncated(), timedOut.get(),
                containerExited.get(), Duration.ofNanos(System.nanoTime() - started), startedAt, status != null);
    }

    /** 0-255 from a run's status, else -1. */
    static long exitCode(String status) {
        if (!status.matches("[0-9]{1,3}")) {
            return -1;
        }
        int code = Integer.parseInt(status);
        return code <= 255 ? code : -1;
    }

    private static void awaitQuietly(AgentChannel.Exchange exchange) {
        try {
            exchange.await(Duration.ofSeconds(1).toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** After a timeout: the kill and its sweep end before the agent takes the next command. */
    private static void awaitKill(Future<?> kill) {
        if (kill == null) {
            return;
        }
        try {
            kill.get(KILL_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            // the kill reports nothing; the sweep of the next command's end catches what it missed
        }
    }
}
