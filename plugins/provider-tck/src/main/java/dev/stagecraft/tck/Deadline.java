package dev.stagecraft.tck;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition by polling it until a deadline, instead of sleeping a guessed amount. */
public final class Deadline {
    private static final long POLL_NANOS = Duration.ofMillis(20).toNanos();

    private Deadline() {
    }

    /** Polls {@code condition} until it holds; fails with {@code what} when {@code within} passes first. */
    public static void await(Duration within, String what, BooleanSupplier condition) {
        if (!poll(within, condition)) {
            throw new AssertionError("not within " + within + ": " + what);
        }
    }

    /** Polls {@code condition} until it holds or {@code within} passes; returns whether it held. */
    public static boolean poll(Duration within, BooleanSupplier condition) {
        long end = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }
}
