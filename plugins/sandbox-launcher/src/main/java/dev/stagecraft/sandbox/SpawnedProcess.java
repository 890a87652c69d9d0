package dev.stagecraft.sandbox;

import dev.stagecraft.sandbox.libc.LibC;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A child {@link NativeSpawn} started: a pooled thread waits for it (waitpid) and so reaps it. */
final class SpawnedProcess implements HostProcess {
    private final int pid;
    private final PipeStreams.Out stdin;
    private final PipeStreams.In stdout;
    private final PipeStreams.In stderr;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    SpawnedProcess(int pid, PipeStreams.Out stdin, PipeStreams.In stdout, PipeStreams.In stderr) {
        this.pid = pid;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        DrainThreads.start(this::reap);
    }

    private void reap() {
        int[] status = new int[1];
        while (true) {
            int got = NativeSpawn.lib().waitpid(pid, status, 0);
            if (got == pid) {
                exit.complete(decode(status[0]));
                return;
            }
            if (got < 0 && NativeSpawn.lastError() != LibC.EINTR) {
                exit.complete(-1);
                return;
            }
        }
    }

    /** A wait status as a shell reports it: the exit status, or 128+N for a death by signal N. */
    static int decode(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /** Runs {@code action} once it has ended (at once if it has), on the thread that reaped it. */
    void whenEnded(Runnable action) {
        exit.whenComplete((code, failure) -> action.run());
    }

    /** Closes this side of its pipes, for a start that failed before anything read them. */
    void closeStreams() {
        stdin.close();
        stdout.close();
        stderr.close();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public boolean waitFor(Duration timeout) throws InterruptedException {
        try {
            exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public int exitCode() {
        if (!exit.isDone()) {
            throw new IllegalStateException("process " + pid + " has not ended");
        }
        return exit.join();
    }
}
