package dev.stagecraft.sandbox;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads that drain commands' output and feed their stdin, kept for a minute between commands so a
 * run does not pay for starting threads.
 */
final class DrainThreads {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ExecutorService POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), task -> {
                Thread thread = new Thread(task, "sandbox-io-" + COUNT.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });

    private DrainThreads() {
    }

    static Future<?> start(Runnable task) {
        return POOL.submit(task);
    }

    /** Waits up to {@code within} for {@code task} to finish; a task still running then is left to end on its own. */
    static void await(Future<?> task, Duration within) {
        try {
            task.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a drain never throws; one still reading after the wait only holds a dead pipe
        }
    }
}
