package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.core.config.PoolSpec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Environments created ahead of demand, per requirement profile. {@link #take} hands one out at most once
 * (a used environment is destroyed by its lease, never returned); a background thread refills. A failed
 * refill is reported and retried on the next take or reaper pass, never in a tight loop.
 */
final class WarmPools implements AutoCloseable {
    static final String POOL_LABEL = dev.stagecraft.api.Labels.PREFIX + "pool";

    /** What must match for a pooled environment to serve a request: all but labels, TTL and expected duration. */
    record Profile(String kind, String toolType, SecurityLevel level, Optional<IsolationLevel> isolation, Resources resources,
                   boolean network, boolean persistentStorage, Optional<String> provider, Map<String, String> options,
                   dev.stagecraft.api.EgressPolicy egress) {
        static Profile of(String kind, EnvironmentRequirement r) {
            return new Profile(kind, r.toolType(), r.securityLevel(), r.isolation(), r.resources(), r.network(),
                    r.persistentStorage(), r.provider(), r.options(), r.egress());
        }
    }

    /** A pooled environment just made: the kind it got and its id. */
    record Made(String kind, String id) {
    }

    private static final class Pool {
        final PoolSpec spec;
        final Deque<String> ready = new ArrayDeque<>();
        Profile profile;
        int creating;

        Pool(PoolSpec spec) {
            this.spec = spec;
        }
    }

    private final List<Pool> pools = new ArrayList<>();
    private final Function<PoolSpec, Made> create;
    private final Consumer<String> destroy;
    private final Consumer<String> onFailure;
    private final ExecutorService refiller = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "stagecraft-pool-refill");
        thread.setDaemon(true);
        return thread;
    });
    private boolean closed;

    WarmPools(List<PoolSpec> specs, Function<PoolSpec, Made> create, Consumer<String> destroy, Consumer<String> onFailure) {
        specs.stream().filter(s -> s.size() > 0).forEach(s -> pools.add(new Pool(s)));
        this.create = create;
        this.destroy = destroy;
        this.onFailure = onFailure;
    }

    boolean isEmpty() {
        return pools.isEmpty();
    }

    /**
     * What a {@link #take} found: the first pool whose profile matched (empty when none did, or none has made an
     * environment yet) and the ready environment handed out (empty when no matching pool had one: a miss).
     */
    record Taken(Optional<String> pool, Optional<String> id) {
    }

    /** A ready environment of this profile, removed from its pool, if one is there. */
    synchronized Taken take(Profile profile) {
        Optional<String> matched = Optional.empty();
        for (Pool pool : pools) {
            if (profile.equals(pool.profile)) {
                if (!pool.ready.isEmpty()) {
                    String id = pool.ready.removeFirst();
                    refillLater();
                    return new Taken(Optional.of(pool.spec.name()), Optional.of(id));
                }
                if (matched.isEmpty()) {
                    matched = Optional.of(pool.spec.name());
                }
            }
        }
        return new Taken(matched, Optional.empty());
    }

    synchronized boolean holds(String id) {
        return pools.stream().anyMatch(p -> p.ready.contains(id));
    }

    /** Forgets an environment that was destroyed behind the pool's back (reaped past its TTL). */
    synchronized void forget(String id) {
        pools.forEach(p -> p.ready.remove(id));
    }

    /** How many ready environments each pool holds now, by pool name. */
    synchronized Map<String, Integer> readyCounts() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        pools.forEach(p -> counts.put(p.spec.name(), p.ready.size()));
        return counts;
    }

    synchronized void refillLater() {
        if (!closed && !pools.isEmpty()) {
            refiller.execute(this::refill);
        }
    }

    private void refill() {
        for (Pool pool : pools) {
            while (true) {
                synchronized (this) {
                    if (closed || pool.ready.size() + pool.creating >= pool.spec.size()) {
                        break;
                    }
                    pool.creating++;
                }
                Made made;
                try {
                    made = create.apply(pool.spec);
                } catch (RuntimeException e) {
                    synchronized (this) {
                        pool.creating--;
                    }
                    onFailure.accept("pool " + pool.spec.name() + ": " + e.getMessage());
                    break;
                }
                boolean keep;
                synchronized (this) {
                    pool.creating--;
                    pool.profile = Profile.of(made.kind(), pool.spec.requirement());
                    keep = !closed;
                    if (keep) {
                        pool.ready.addLast(made.id());
                    }
                }
                if (!keep) {
                    destroy.accept(made.id());
                }
            }
        }
    }

    /** Stops refilling and destroys every environment still waiting in a pool. */
    @Override
    public void close() {
        List<String> waiting = new ArrayList<>();
        synchronized (this) {
            closed = true;
            pools.forEach(p -> {
                waiting.addAll(p.ready);
                p.ready.clear();
            });
        }
        refiller.shutdown();
        try {
            refiller.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        waiting.forEach(destroy);
    }
}
