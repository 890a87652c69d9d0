package dev.stagecraft.sandbox;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One command's host process tree (bubblewrap, started directly or behind the wrapper shell): started with nothing
 * of the manager's environment or working directory, its output drained under the request's cap, its stdin fed,
 * waited for up to the request's timeout and killed past it.
 */
final class BubblewrapProcess {
    static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(5);

    /**
     * How the process tree ended: its exit code (-1 when it outlived the kill), the kept output (empty when a
     * listener took it), the first bytes of stderr either way, and whether it finished before its timeout.
     */
    record Ended(int code, byte[] stdout, byte[] stderr, String stderrHead, Duration took, boolean truncated,
                 boolean finished) {
    }

    /** Starts the process tree. */
    interface Starter {
        HostProcess start() throws IOException;
    }

    private BubblewrapProcess() {
    }

    /** Starts {@code command} through the JDK, with only a fixed PATH and {@code /} as working directory. */
    static Starter jdk(List<String> command) {
        return () -> {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            // Not the manager's working directory: the wrapper's shell would export it as PWD to bubblewrap (pid 1 inside).
            builder.directory(new java.io.File("/"));
            return HostProcess.of(builder.start());
        };
    }

    /**
     * Runs {@code command}, keeping the process in {@code live} while it runs (so a stop can kill it). Past the
     * timeout the tree is killed and {@code afterTimeout} runs (the environment kills what is left in its cgroup).
     */
    static Ended run(Starter starter, ExecRequest request, OutputListener listener, Set<HostProcess> live,
                     Runnable afterTimeout, String what) {
        long started = System.nanoTime();
        HostProcess process;
        try {
            process = starter.start();
        } catch (UserModeNetwork.Failed e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + " could not get its network: " + e.getMessage(), e);
        } catch (DirectLaunch.JoinFailed e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + " could not join its cgroup: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot start bubblewrap for " + what + ": "
                    + e.getMessage(), e);
        }
        live.add(process);
        try {
            CappedDrain out = new CappedDrain(process.stdout(), request.outputLimit(),
                    listener == null ? null : (chunk, n) -> listener.stdout(chunk, 0, n));
            CappedDrain err = new CappedDrain(process.stderr(), request.outputLimit(),
                    listener == null ? null : (chunk, n) -> listener.stderr(chunk, 0, n));
            Future<?> outDrain = DrainThreads.start(out);
            Future<?> errDrain = DrainThreads.start(err);
            Future<?> stdinFeed = request.stdin().length == 0 ? closeNow(process.stdin())
                    : DrainThreads.start(() -> feed(process.stdin(), request.stdin()));
            boolean finished = waitFor(process, request.timeout());
            if (!finished) {
                process.killTree();
                afterTimeout.run();
                waitFor(process, KILL_WAIT);
            }
            DrainThreads.await(outDrain, DRAIN_WAIT);
            DrainThreads.await(errDrain, DRAIN_WAIT);
            stdinFeed.cancel(true);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            int code = process.isAlive() ? -1 : process.exitCode();
            return new Ended(code, listener == null ? out.bytes() : new byte[0], listener == null ? err.bytes() : new byte[0],
                    err.head(), took, out.truncated() || err.truncated(), finished);
        } finally {
            live.remove(process);
        }
    }

    private static boolean waitFor(HostProcess process, Duration timeout) {
        try {
            return process.waitFor(timeout);
        } catch (InterruptedException e) {
            process.killTree();
            Thread.currentThread().interrupt();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "interrupted while waiting for the command", e);
        }
    }

    private static void feed(OutputStream stdin, byte[] bytes) {
        try (stdin) {
            stdin.write(bytes);
        } catch (IOException e) {
            // the command closed its stdin or ended early: it did not want the rest
        }
    }

    private static Future<?> closeNow(OutputStream stdin) {
        feed(stdin, new byte[0]);
        return CompletableFuture.completedFuture(null);
    }
}
