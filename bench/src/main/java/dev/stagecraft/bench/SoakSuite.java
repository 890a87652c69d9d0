package dev.stagecraft.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A long run through the service front: {@code runs} {@code /v1/run}s (buffered and NDJSON in turn, each with its
 * own nonce, {@link LoadOperation#RUN}) from {@code clients} clients at once, with the server's open file
 * descriptors, threads and heap after a full collection ({@link ServerSample}) sampled after a warm-up, every tenth
 * of the way, and at the end. Fails when any run fails, when something is left in a provider, or when the end is
 * past the start by more than the tolerances: {@value #FD_SLACK} descriptors, {@value #THREAD_SLACK} threads,
 * {@value #HEAP_SLACK_MIB} MiB of heap. The server runs in this process, so the samples include the client's share
 * (its connections and threads are made during the warm-up and kept).
 */
final class SoakSuite extends BenchSuite {
    static final int FD_SLACK = 16;
    static final int THREAD_SLACK = 8;
    static final int HEAP_SLACK_MIB = 16;
    private static final int WARM_UP = 200;

    private final int runs;
    private final int clients;
    private ExecutorService pool;

    SoakSuite(int runs, int clients) {
        super(runs, 0, clients);
        this.runs = runs;
        this.clients = clients;
    }

    @Override
    List<String> run() {
        try (BenchServer server = BenchServer.start("soak", "disabled-providers: [docker, kvm]\n"
                + BenchServer.unthrottled(1000), List.of("soak"))) {
            pool = Executors.newFixedThreadPool(clients);
            LoadOperation.Shared none = new LoadOperation.Shared(java.util.Map.of());
            Batch warmUp = batch(server, none, WARM_UP, "warm-up");
            ServerSample first = ServerSample.take();
            System.err.println("soak: after " + WARM_UP + " warm-up runs: " + first);
            List<String> samples = new ArrayList<>();
            long start = System.nanoTime();
            double[] ms = new double[runs];
            List<String> problems = new ArrayList<>(warmUp.problems);
            int step = Math.max(1, runs / 10);
            for (int done = 0; done < runs; done += step) {
                int count = Math.min(step, runs - done);
                Batch batch = batch(server, none, count, "r" + done);
                System.arraycopy(batch.ms, 0, ms, done, count);
                problems.addAll(batch.problems);
                ServerSample sample = ServerSample.take();
                String line = String.format(Locale.ROOT, "  after %6d runs (%6.0f s): %s", done + count,
                        (System.nanoTime() - start) / 1e9, sample);
                samples.add(line);
                System.err.println("soak:" + line);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ServerSample last = ServerSample.take();
            Leftovers leftovers = Leftovers.of(server.stagecraft());

            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "== Stagecraft front soak: %d runs of POST /v1/run (buffered and NDJSON in"
                    + " turn) from %d clients (sandbox), %.0f s ==", runs, clients, seconds));
            lines.add(Percentiles.line("POST /v1/run, the whole answer", ms, null));
            lines.add("  start (after " + WARM_UP + " warm-up runs): " + first);
            lines.addAll(samples);
            lines.add("  end: " + last);
            lines.add(String.format(Locale.ROOT, "  growth: fds %+d (tolerance %d), threads %+d (%d), heap %+.1f MiB (%d)",
                    last.fds() - first.fds(), FD_SLACK, last.threads() - first.threads(), THREAD_SLACK,
                    last.heapMiB() - first.heapMiB(), HEAP_SLACK_MIB));
            lines.add("  failed runs: " + problems.size());
            lines.add(leftovers.line());
            List<String> failures = new ArrayList<>(problems);
            failures.addAll(leftovers.left());
            if (last.fds() - first.fds() > FD_SLACK) {
                failures.add("open file descriptors grew from " + first.fds() + " to " + last.fds());
            }
            if (last.threads() - first.threads() > THREAD_SLACK) {
                failures.add("threads grew from " + first.threads() + " to " + last.threads());
            }
            if (last.heapMiB() - first.heapMiB() > HEAP_SLACK_MIB) {
                failures.add(String.format(Locale.ROOT, "heap grew from %.1f to %.1f MiB", first.heapMiB(), last.heapMiB()));
            }
            if (!failures.isEmpty()) {
                lines.forEach(System.out::println);
                failures.stream().limit(20).forEach(p -> System.out.println("  problem: " + p));
                throw new IllegalStateException("the soak found " + failures.size() + " problems (first ones above)");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /** Latencies and problems of {@code count} runs spread over the clients. */
    private record Batch(double[] ms, List<String> problems) {
    }

    private Batch batch(BenchServer server, LoadOperation.Shared none, int count, String prefix) {
        double[] ms = new double[count];
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        try {
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                loops.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        LoadOperation operation = i % 2 == 0 ? LoadOperation.RUN : LoadOperation.RUN_STREAMED;
                        long start = System.nanoTime();
                        LoadOperation.Outcome outcome;
                        try {
                            outcome = operation.run(server, none, "soak", prefix + "-" + i);
                        } catch (RuntimeException e) {
                            outcome = LoadOperation.Outcome.failed(0, operation + " " + prefix + "-" + i + ": " + e);
                        }
                        ms[i] = (System.nanoTime() - start) / 1e6;
                        outcome.problem().ifPresent(problems::add);
                    }
                }));
            }
            for (Future<?> loop : loops) {
                loop.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return new Batch(ms, new ArrayList<>(problems));
    }
}
