package dev.stagecraft.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What a long-running server holds, sampled in this process (the server runs here): open file descriptors
 * ({@code /proc/self/fd}), live threads, and heap in use after a full collection.
 */
record ServerSample(long fds, int threads, long heapBytes) {
    static ServerSample take() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long fds;
        try (Stream<Path> open = Files.list(Path.of("/proc/self/fd"))) {
            fds = open.count() - 1; // the listing's own descriptor
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ServerSample(fds, ManagementFactory.getThreadMXBean().getThreadCount(), heap);
    }

    double heapMiB() {
        return heapBytes / (1024.0 * 1024.0);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "fds %d, threads %d, heap %.1f MiB", fds, threads, heapMiB());
    }
}
