package dev.stagecraft.api;

import java.time.Duration;

/**
 * The one reading of how a command ended, shared by every provider so that a result means the same on every kind.
 *
 * <ul>
 *   <li>An exit code 128 + N, N from 1 to 64, is a death by signal N, as a shell reports it:
 *       {@link Termination#SIGNALED}, detail {@code killed by signal N}. A program that exits 130 by itself reads
 *       the same: the code alone cannot tell them apart.</li>
 *   <li>Any other code is a plain exit: {@link Termination#EXITED}, empty detail.</li>
 *   <li>A timeout is {@link ExecResult#TIMEOUT_EXIT_CODE} and {@link Termination#TIMEOUT}, detail
 *       {@code killed: timeout 5s passed}.</li>
 * </ul>
 *
 * <p>A provider first checks what only it can see (the environment stopped, its cgroup's OOM or pids counters, a
 * signal that its limits send such as SIGXFSZ) and passes the rest to {@link #ended}. The texts of the limits that
 * several kinds enforce are here too, for the same reason.
 */
public final class Terminations {
    /** An exit code above this reports a death by signal: 128 + N. */
    public static final int SIGNAL_EXIT_BASE = 128;
    /** The highest signal number (Linux's last real-time signal). */
    public static final int MAX_SIGNAL = 64;

    private Terminations() {
    }

    /** The exit code a shell reports for a command killed by {@code signal}: 128 + signal. */
    public static int exitCodeOf(int signal) {
        return SIGNAL_EXIT_BASE + signal;
    }

    /** The signal that an exit code reports a death by, or 0 when it is a plain exit. */
    public static int signalOf(int exitCode) {
        int signal = exitCode - SIGNAL_EXIT_BASE;
        return signal >= 1 && signal <= MAX_SIGNAL ? signal : 0;
    }

    /** A command that ended by itself or by a signal: {@link Termination#SIGNALED} for 128 + N, else EXITED. */
    public static ExecResult ended(int exitCode, byte[] stdout, byte[] stderr, Duration took, boolean truncated) {
        int signal = signalOf(exitCode);
        return signal == 0
                ? new ExecResult(exitCode, stdout, stderr, took, Termination.EXITED, truncated, "")
                : new ExecResult(exitCode, stdout, stderr, took, Termination.SIGNALED, truncated, "killed by signal " + signal);
    }

    /** A command killed when {@code timeout} passed: exit code 124, {@link Termination#TIMEOUT}. */
    public static ExecResult timedOut(Duration timeout, byte[] stdout, byte[] stderr, Duration took, boolean truncated) {
        return new ExecResult(ExecResult.TIMEOUT_EXIT_CODE, stdout, stderr, took, Termination.TIMEOUT, truncated,
                "killed: timeout " + format(timeout) + " passed");
    }

    /** The detail of a command the memory limit killed: {@code killed: memory limit 64m}. */
    public static String memoryLimit(long bytes) {
        return "killed: memory limit " + Quantities.formatBytes(bytes);
    }

    /** The detail of a command that failed to fork at the process limit: {@code failed: process limit 24 reached}. */
    public static String processLimit(long pids) {
        return "failed: process limit " + pids + " reached";
    }

    /** The detail of a command that SIGXFSZ killed: {@code killed: file size limit 8m (SIGXFSZ)}. */
    public static String fileSizeLimit(long bytes) {
        return "killed: file size limit " + Quantities.formatBytes(bytes) + " (SIGXFSZ)";
    }

    private static String format(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
