package com.example.stagecraft.firejail;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Terminations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** One command's process: stdin fed, stdout and stderr drained to the output limit, the whole tree killed at the timeout. */
final class CommandRun {
    /** Feeding and draining block on pipes: threads of their own, never the common pool's few. */
    private static final ExecutorService PIPES = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "firejail-pipe");
        thread.setDaemon(true);
        return thread;
    });

    private CommandRun() {
    }

    /**
     * Runs {@code argv}; {@code afterTimeout} runs once the timed-out command's tree is killed and before its output is
     * drained to the end (what it left, holding the pipes, is found there by the environment's cgroup).
     */
    static ExecResult run(List<String> argv, ExecRequest request, java.util.function.Consumer<Process> started,
                          java.util.function.Consumer<Process> ended, Runnable afterTimeout) {
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().clear();
        builder.environment().put("PATH", FirejailCommand.PATH);
        long begin = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot start firejail: " + e.getMessage(), e);
        }
        started.accept(process);
        try {
            CompletableFuture<Void> stdin = CompletableFuture.runAsync(() -> feed(process.getOutputStream(), request.stdin()), PIPES);
            CompletableFuture<Capped> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream(), request.outputLimit()), PIPES);
            CompletableFuture<Capped> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream(), request.outputLimit()), PIPES);
            boolean finished = process.waitFor(request.timeout().toNanos(), TimeUnit.NANOSECONDS);
            if (!finished) {
                killTree(process);
                afterTimeout.run();
            }
            Capped o = out.get();
            Capped e = err.get();
            stdin.cancel(true);
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            boolean truncated = o.truncated || e.truncated;
            return finished
                    ? Terminations.ended(process.exitValue(), o.bytes, e.bytes, took, truncated)
                    : Terminations.timedOut(request.timeout(), o.bytes, e.bytes, took, truncated);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "interrupted while waiting for the command", e);
        } catch (ExecutionException e) {
            killTree(process);
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read the command's output: " + e.getCause(), e);
        } finally {
            ended.accept(process);
        }
    }

    /** Kills firejail and everything under it (its sandbox is a child; the command's daemons live in its pid namespace). */
    static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void feed(OutputStream in, byte[] bytes) {
        try (in) {
            in.write(bytes);
        } catch (IOException closedEarly) {
            // the command stopped reading: what it did not take is dropped
        }
    }

    private record Capped(byte[] bytes, boolean truncated) {
    }

    private static Capped drain(InputStream stream, long limit) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 << 10];
        boolean truncated = false;
        try (stream) {
            int n;
            while ((n = stream.read(buffer)) > 0) {
                int keep = (int) Math.max(0, Math.min(n, limit - kept.size()));
                kept.write(buffer, 0, keep);
                truncated |= keep < n;
            }
        } catch (IOException closed) {
            // the process was killed: what was read is kept
        }
        return new Capped(kept.toByteArray(), truncated);
    }
}
