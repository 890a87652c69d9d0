package dev.stagecraft.sandbox;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/** One command's host process (bubblewrap, started directly or behind the wrapper shell), however it was started. */
interface HostProcess {
    long pid();

    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /** Whether it ended within {@code timeout}. */
    boolean waitFor(Duration timeout) throws InterruptedException;

    boolean isAlive();

    /** Its exit code once it ended: 128+N when signal N killed it, as a shell reports it. */
    int exitCode();

    /** Kills it and every process below it (the sandbox's PID namespace dies with its init anyway). */
    default void killTree() {
        if (isAlive()) {
            ProcessHandle.of(pid()).ifPresent(handle -> {
                handle.descendants().forEach(ProcessHandle::destroyForcibly);
                handle.destroyForcibly();
            });
        }
    }

    /** A process the JDK started. */
    static HostProcess of(Process process) {
        return new HostProcess() {
            @Override
            public long pid() {
                return process.pid();
            }

            @Override
            public OutputStream stdin() {
                return process.getOutputStream();
            }

            @Override
            public InputStream stdout() {
                return process.getInputStream();
            }

            @Override
            public InputStream stderr() {
                return process.getErrorStream();
            }

            @Override
            public boolean waitFor(Duration timeout) throws InterruptedException {
                return process.waitFor(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            }

            @Override
            public boolean isAlive() {
                return process.isAlive();
            }

            @Override
            public int exitCode() {
                return process.exitValue();
            }

            @Override
            public void killTree() {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        };
    }
}
