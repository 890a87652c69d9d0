package dev.stagecraft.sandbox;

import java.util.concurrent.locks.LockSupport;

/** The pause between two polls of a condition the kernel settles on its own (a cgroup emptying). */
final class Pause {
    private static final int QUICK_POLLS = 40;

    private Pause() {
    }

    static void briefly() {
        LockSupport.parkNanos(10_000_000L);
    }

    /**
     * Before poll number {@code attempt} (from 0): a quarter of a millisecond for the first ten milliseconds (a
     * sandbox's init usually finishes exiting within one), then ten milliseconds.
     */
    static void beforePoll(int attempt) {
        LockSupport.parkNanos(attempt < QUICK_POLLS ? 250_000L : 10_000_000L);
    }
}
