package dev.stagecraft.core.plugin;

import java.util.function.Supplier;

/** Runs a call with the thread-context class loader set to a plugin's, then puts the old one back. */
final class ContextClassLoader {
    private ContextClassLoader() {
    }

    static <T> T call(ClassLoader loader, Supplier<T> call) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return call.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    static void run(ClassLoader loader, Runnable call) {
        call(loader, () -> {
            call.run();
            return null;
        });
    }
}
