package dev.stagecraft.sandbox;

import java.util.concurrent.locks.LockSupport;

/** The short pause between two polls of a condition the kernel settles on its own (a cgroup emptying). */
final class Pause {
    private Pause() {
    }

    static void briefly() {
        LockSupport.parkNanos(10_000_000L);
    }
}
