package dev.stagecraft.cli;

import dev.stagecraft.cli.Distribution.Outcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Host programs (virsh, kill, pgrep, ...) run to their end with their output captured; and waiting for a condition. */
final class HostCommands {
    private HostCommands() {
    }

    static Outcome run(int seconds, String... argv) throws IOException, InterruptedException {
        return run(new ProcessBuilder(argv), seconds, String.join(" ", argv));
    }

    /** Runs {@code builder} with stdin closed; fails the test when it is not done within {@code seconds}. */
    static Outcome run(ProcessBuilder builder, int seconds, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile("stagecraft-it-out", ".txt");
        Path err = Files.createTempFile("stagecraft-it-err", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(what + " did not finish within " + seconds + " s");
            }
            return new Outcome(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Polls {@code condition} (20 ms, backing off to 250 ms) until it holds; fails after {@code limit}. */
    static void await(Duration limit, String what, BooleanSupplier condition) {
        long end = System.nanoTime() + limit.toNanos();
        long pause = Duration.ofMillis(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, Duration.ofMillis(250).toNanos());
        }
    }

    /** {@link #await} for a value: the first one {@code value} yields. */
    static <T> T awaitValue(Duration limit, String what, Supplier<Optional<T>> value) {
        @SuppressWarnings("unchecked")
        T[] found = (T[]) new Object[1];
        await(limit, what, () -> {
            Optional<T> v = value.get();
            v.ifPresent(x -> found[0] = x);
            return v.isPresent();
        });
        return found[0];
    }
}
