package dev.stagecraft.lambda;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One function's calls, one at a time. A Lambda execution environment takes one invocation at a time, and a second
 * invocation while one runs would start another execution environment, with another /tmp: the workspace is only one
 * while the calls to it wait their turn. The provider keeps one gate per function, shared by every object of it.
 */
final class FunctionGate {
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger running = new AtomicInteger();

    /** Runs {@code call} when no other call of this function runs. */
    <T> T pass(java.util.function.Supplier<T> call) {
        lock.lock();
        running.incrementAndGet();
        try {
            return call.get();
        } finally {
            running.decrementAndGet();
            lock.unlock();
        }
    }

    boolean busy() {
        return running.get() > 0;
    }
}
