package dev.stagecraft.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of one command.
 *
 * @param exitCode    the command's exit code; 128 + signal when a signal ended it; 124 on timeout
 *                    ({@link Terminations} reads a code the same way for every provider)
 * @param stdout      captured standard output, at most the request's output limit
 * @param stderr      captured standard error, at most the request's output limit
 * @param duration    wall-clock time from start to the end of the process tree
 * @param termination how it ended
 * @param truncated   whether stdout or stderr was cut at the output limit
 * @param detail      a human note on how it ended ({@code killed: memory limit 64m}), empty when it simply exited
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, Duration duration, Termination termination,
                         boolean truncated, String detail) {
    /** The exit code reported for a timed-out command, as coreutils' {@code timeout} does. */
    public static final int TIMEOUT_EXIT_CODE = 124;

    public ExecResult {
        stdout = requireNonNull(stdout, "stdout is null").clone();
        stderr = requireNonNull(stderr, "stderr is null").clone();
        requireNonNull(duration, "duration is null");
        requireNonNull(termination, "termination is null");
        requireNonNull(detail, "detail is null");
    }

    @Override
    public byte[] stdout() {
        return stdout.clone();
    }

    @Override
    public byte[] stderr() {
        return stderr.clone();
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    public boolean timedOut() {
        return termination == Termination.TIMEOUT;
    }

    public boolean succeeded() {
        return termination == Termination.EXITED && exitCode == 0;
    }

    /** This result with {@code note} added after its detail ({@code killed by signal 9; note}); itself when empty. */
    public ExecResult withNote(String note) {
        requireNonNull(note, "note is null");
        if (note.isEmpty()) {
            return this;
        }
        return new ExecResult(exitCode, stdout, stderr, duration, termination, truncated,
                detail.isEmpty() ? note : detail + "; " + note);
    }
}
