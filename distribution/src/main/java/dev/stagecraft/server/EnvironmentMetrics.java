package dev.stagecraft.server;

import dev.stagecraft.core.manager.EnvironmentEvent;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentListener;
import dev.stagecraft.core.manager.EnvironmentManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the manager does, as meters: create and exec latency by kind, selections, warm-pool takes and reaps from its
 * events; environments by kind and status and ready pool sizes read from it at each scrape. Labels carry kinds,
 * statuses, pool names and fixed words only: never an environment id or a tenant.
 */
final class EnvironmentMetrics implements EnvironmentListener {
    /** Histogram buckets (seconds) for create and exec: a sandbox answers in milliseconds, a VM boots in tens of seconds. */
    private static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
            Duration.ofSeconds(120), Duration.ofSeconds(300)};

    private final MeterRegistry registry;
    private final EnvironmentManager manager;
    private final MultiGauge environments;
    private final MultiGauge poolsReady;
    /** Every kind and status seen so far: one that has none left reads 0 rather than vanishing. */
    private final Set<Tags> seen = new HashSet<>();

    EnvironmentMetrics(MeterRegistry registry, EnvironmentManager manager) {
        this.registry = registry;
        this.manager = manager;
        this.environments = MultiGauge.builder("stagecraft.environments")
                .description("Environments this server's manager knows, by kind and status").register(registry);
        this.poolsReady = MultiGauge.builder("stagecraft.pool.ready")
                .description("Environments waiting ready in each warm pool").register(registry);
    }

    @Override
    public void onEvent(EnvironmentEvent event) {
        switch (event.type()) {
            case CREATED -> latency("stagecraft.environment.create", "Time a provider took to create an environment",
                    event.kind()).record(event.duration());
            case EXEC_FINISHED -> latency("stagecraft.exec", "Time a command took in an environment, start to end",
                    event.kind()).record(event.duration());
            case SELECTED -> Counter.builder("stagecraft.selections").description("Selection pipeline decisions")
                    .tags("outcome", event.kind().isEmpty() ? "none" : "selected", "kind", event.kind())
                    .register(registry).increment();
            case POOL_HIT, POOL_MISS -> Counter.builder("stagecraft.pool.acquires")
                    .description("Acquires whose profile matched a warm pool: served ready (hit) or made anew (miss)")
                    .tags("pool", event.detail(), "result", event.type() == EnvironmentEvent.Type.POOL_HIT ? "hit" : "miss")
                    .register(registry).increment();
            case REAPED -> Counter.builder("stagecraft.reaped")
                    .description("Environments destroyed by the reaper, a drained pool or a closing manager")
                    .tags("kind", event.kind(), "reason", event.cause())
                    .register(registry).increment();
            default -> {
                // the other events change no meter: the gauges are read at each scrape
            }
        }
    }

    private Timer latency(String name, String description, String kind) {
        return Timer.builder(name).description(description).tag("kind", kind)
                .serviceLevelObjectives(BUCKETS).register(registry);
    }

    /** Reads the gauges' values from the manager now; called before each scrape. */
    synchronized void refresh() {
        Map<Tags, Integer> counts = new HashMap<>();
        for (EnvironmentInfo info : manager.list(Optional.empty(), Map.of())) {
            counts.merge(Tags.of("kind", info.kind(), "status", info.status().name()), 1, Integer::sum);
        }
        seen.addAll(counts.keySet());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Tags tags : seen) {
            rows.add(MultiGauge.Row.of(tags, counts.getOrDefault(tags, 0)));
        }
        environments.register(rows, true);
        poolsReady.register(manager.warmPools().entrySet().stream()
                .map(pool -> MultiGauge.Row.of(Tags.of("pool", pool.getKey()), pool.getValue())).toList(), true);
    }
}
