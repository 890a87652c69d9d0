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
import java.util.concurrent.TimeUnit;

/**
 * One command's host process tree (the wrapper, then bubblewrap): started with nothing of the manager's
 * environment or working directory, its output drained under the request's cap, its stdin fed, waited for up to
 * the request's timeout and killed past it.
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

    private BubblewrapProcess() {
    }

    /**
     * Runs {@code command}, keeping the process in {@code live} while it runs (so a stop can kill it). Past the
     * timeout the tree is killed and {@code afterTimeout} runs (the environment kills what is left in its cgroup).
     */
    static Ended run(List<String> command, ExecRequest request, OutputListener listener, Set<Process> live,
                     Runnable afterTimeout, String what) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        // Not the manager's working directory: the wrapper's shell would export it as PWD to bubblewrap (pid 1 inside).
        builder.directory(new java.io.File("/"));
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot start bubblewrap for " + what + ": "
                    + e.getMessage(), e);
        }
        live.add(process);
        try {
            CappedDrain out = new CappedDrain(process.getInputStream(), request.outputLimit(),
                    listener == null ? null : (chunk, n) -> listener.stdout(chunk, 0, n));
            CappedDrain err = new CappedDrain(process.getErrorStream(), request.outputLimit(),
                    listener == null ? null : (chunk, n) -> listener.stderr(chunk, 0, n));
            Future<?> outDrain = DrainThreads.start(out);
            Future<?> errDrain = DrainThreads.start(err);
            Future<?> stdinFeed = request.stdin().length == 0 ? closeNow(process.getOutputStream())
                    : DrainThreads.start(() -> feed(process.getOutputStream(), request.stdin()));
            boolean finished = waitFor(process, request.timeout());
            if (!finished) {
                killTree(process);
                afterTimeout.run();
                waitFor(process, KILL_WAIT);
            }
            DrainThreads.await(outDrain, DRAIN_WAIT);
            DrainThreads.await(errDrain, DRAIN_WAIT);
            stdinFeed.cancel(true);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            int code = process.isAlive() ? -1 : process.exitValue();
            return new Ended(code, listener == null ? out.bytes() : new byte[0], listener == null ? err.bytes() : new byte[0],
                    err.head(), took, out.truncated() || err.truncated(), finished);
        } finally {
            live.remove(process);
        }
    }

    /** Kills bubblewrap and every process below it (the sandbox's PID namespace dies with its init anyway). */
    static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killTree(process);
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
