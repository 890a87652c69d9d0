package dev.stagecraft.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load through the service front: waves of {@code concurrent} operations sent at once by three tenants over real
 * HTTP on loopback, mixed ({@link LoadOperation}): buffered and streamed runs, execs in each tenant's own
 * environments, a file put and read back, a create-exec-delete, and a look at another tenant's environment. Every
 * command's output must be exactly its own operation's nonces (nothing crossed between requests or tenants), no
 * answer may be a 5xx or any status other than the expected one, and afterwards no environment may be left in any
 * provider ({@link Leftovers}). Fails on any of these, after printing them.
 */
final class LoadSuite extends BenchSuite {
    static final List<String> TENANTS = List.of("alpha", "beta", "gamma");
    private static final int SHARED_PER_TENANT = 2;

    private final int waves;
    private final int concurrent;

    LoadSuite(int waves, int concurrent) {
        super(waves, 0, concurrent);
        this.waves = waves;
        this.concurrent = concurrent;
    }

    @Override
    List<String> run() {
        // sandbox only: the load measures the front, and the other kinds' own costs would hide it on 2 cores
        try (BenchServer server = BenchServer.start("load", "disabled-providers: [docker, kvm]\n"
                + BenchServer.unthrottled(10_000), TENANTS)) {
            LoadOperation.Shared shared = LoadOperation.Shared.create(server, TENANTS, SHARED_PER_TENANT);
            Tally tally = new Tally();
            List<String> lines = new ArrayList<>();
            long start = System.nanoTime();
            for (int wave = 0; wave < waves; wave++) {
                long waveStart = System.nanoTime();
                runWave(server, shared, wave, tally);
                System.err.printf(Locale.ROOT, "load: wave %d of %d, %d operations in %.1f s%n", wave + 1, waves,
                        concurrent, (System.nanoTime() - waveStart) / 1e9);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            shared.delete(server);
            Leftovers leftovers = Leftovers.of(server.stagecraft());

            lines.add(String.format(Locale.ROOT, "== Stagecraft front under load: %d waves of %d concurrent operations from"
                    + " %d tenants (sandbox) ==", waves, concurrent, TENANTS.size()));
            lines.add(String.format(Locale.ROOT, "  %d operations, %d HTTP requests in %.1f s (%.0f requests/s)",
                    tally.operations.get(), tally.requests.get(), seconds, tally.requests.get() / seconds));
            lines.add("  answers by status: " + new java.util.TreeMap<>(tally.statuses));
            lines.add("  each operation, from its start to its last answer read:");
            tally.latencies.forEach((what, ms) -> lines.add(Percentiles.line(what,
                    ms.stream().mapToDouble(Double::doubleValue).toArray(), null)));
            lines.add("  5xx answers: " + tally.serverErrors.get());
            lines.add("  crossed or wrong output: " + tally.crossed.get());
            lines.add(leftovers.line());
            List<String> problems = new ArrayList<>(tally.problems);
            problems.addAll(leftovers.left());
            if (!problems.isEmpty()) {
                lines.forEach(System.out::println);
                problems.stream().limit(20).forEach(p -> System.out.println("  problem: " + p));
                throw new IllegalStateException("the load found " + problems.size() + " problems (first ones above)");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code concurrent} operations, started together, each on its own thread; returns when all have ended. */
    private void runWave(BenchServer server, LoadOperation.Shared shared, int wave, Tally tally) {
        ExecutorService threads = Executors.newFixedThreadPool(concurrent);
        CountDownLatch ready = new CountDownLatch(concurrent);
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int i = 0; i < concurrent; i++) {
                String tenant = TENANTS.get(i % TENANTS.size());
                LoadOperation operation = LoadOperation.values()[(i / TENANTS.size()) % LoadOperation.values().length];
                String nonce = String.format(Locale.ROOT, "w%d-o%d-%s-%s", wave, i, tenant, Long.toHexString(System.nanoTime()));
                threads.execute(() -> {
                    ready.countDown();
                    await(go);
                    long start = System.nanoTime();
                    LoadOperation.Outcome outcome;
                    try {
                        outcome = operation.run(server, shared, tenant, nonce);
                    } catch (RuntimeException e) {
                        outcome = LoadOperation.Outcome.failed(0, operation + " " + nonce + ": " + e);
                    }
                    tally.add(operation, outcome, (System.nanoTime() - start) / 1e6);
                });
            }
            await(ready);
            go.countDown();
        } finally {
            threads.shutdown();
            try {
                if (!threads.awaitTermination(30, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("a wave did not end within 30 minutes");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What all operations saw, counted from many threads. */
    private static final class Tally {
        final AtomicInteger operations = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger serverErrors = new AtomicInteger();
        final AtomicInteger crossed = new AtomicInteger();
        final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        final Map<String, List<Double>> latencies = Collections.synchronizedMap(new LinkedHashMap<>());
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

        Tally() {
            for (LoadOperation operation : LoadOperation.values()) {
                latencies.put(operation.description(), Collections.synchronizedList(new ArrayList<>()));
            }
        }

        void add(LoadOperation operation, LoadOperation.Outcome outcome, double ms) {
            operations.incrementAndGet();
            requests.addAndGet(outcome.statuses().size());
            for (int status : outcome.statuses()) {
                statuses.merge(status, 1, Integer::sum);
                if (status >= 500) {
                    serverErrors.incrementAndGet();
                }
            }
            if (outcome.crossed()) {
                crossed.incrementAndGet();
            }
            outcome.problem().ifPresent(problems::add);
            latencies.get(operation.description()).add(ms);
        }
    }
}
