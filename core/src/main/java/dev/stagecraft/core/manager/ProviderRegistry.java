package dev.stagecraft.core.manager;

import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.plugin.ContextBoundProvider;
import dev.stagecraft.core.selection.Candidate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The installed providers, each initialized once with its configuration section and state folder. A provider
 * whose initialization fails stays listed as unavailable with the reason, so {@code doctor} can show it.
 * Probe results are cached for {@link #PROBE_CACHE} so selection does not re-probe on every acquire, and renewed
 * in the background after that while they say available ({@link #health}).
 */
public final class ProviderRegistry implements AutoCloseable {
    static final Duration PROBE_CACHE = Duration.ofSeconds(10);

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Clock clock;

    /** One installed provider and what is known of it. */
    public static final class Entry {
        private final ContextBoundProvider provider;
        private final String initProblem;
        private volatile ProviderHealth health;
        private volatile Instant probedAt = Instant.MIN;
        private final java.util.concurrent.atomic.AtomicBoolean renewing = new java.util.concurrent.atomic.AtomicBoolean();

        Entry(ContextBoundProvider provider, String initProblem) {
            this.provider = provider;
            this.initProblem = initProblem;
        }

        public ContextBoundProvider provider() {
            return provider;
        }

        public Optional<String> initProblem() {
            return Optional.ofNullable(initProblem);
        }
    }

    public ProviderRegistry(List<ContextBoundProvider> providers, StagecraftConfig config, Clock clock) {
        this.clock = clock;
        for (ContextBoundProvider provider : providers) {
            if (config.disabledProviders().contains(provider.kind())) {
                continue;
            }
            entries.put(provider.kind(), new Entry(provider, initialize(provider, config)));
        }
    }

    private static String initialize(ContextBoundProvider provider, StagecraftConfig config) {
        try {
            Path state = config.stateDirectory().resolve(provider.kind());
            Files.createDirectories(state);
            provider.initialize(new ProviderContext(config.owner(), state, config.provider(provider.kind())));
            return null;
        } catch (StagecraftException e) {
            return e.getMessage();
        } catch (IOException e) {
            return "cannot create its state folder: " + e.getMessage();
        } catch (RuntimeException | LinkageError e) {
            return "initialization failed: " + e;
        }
    }

    public List<String> kinds() {
        return List.copyOf(entries.keySet());
    }

    public Optional<Entry> entry(String kind) {
        return Optional.ofNullable(entries.get(kind));
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /**
     * The provider's health. {@code fresh}, or nothing known yet, or an unavailable answer past the cache time:
     * probes now. An available answer past the cache time is returned as it is while one probe renews it in the
     * background, so that a selection (a warm pool hit too) never waits on a probe that only confirms it.
     */
    public ProviderHealth health(Entry entry, boolean fresh) {
        if (entry.initProblem != null) {
            return ProviderHealth.unavailable(entry.initProblem, List.of("fix providers." + entry.provider.kind()
                    + " in the configuration"), Map.of());
        }
        ProviderHealth known = entry.health;
        boolean stale = entry.probedAt.plus(PROBE_CACHE).isBefore(clock.instant());
        if (fresh || known == null || (stale && !known.available())) {
            return probe(entry);
        }
        if (stale && entry.renewing.compareAndSet(false, true)) {
            Thread renewal = new Thread(() -> {
                try {
                    probe(entry);
                } finally {
                    entry.renewing.set(false);
                }
            }, "stagecraft-probe-" + entry.provider.kind());
            renewal.setDaemon(true);
            renewal.start();
        }
        return known;
    }

    private ProviderHealth probe(Entry entry) {
        ProviderHealth health;
        try {
            health = entry.provider.probe();
        } catch (RuntimeException | LinkageError e) {
            health = ProviderHealth.unavailable("probe failed: " + e, List.of(), Map.of());
        }
        entry.health = health;
        entry.probedAt = clock.instant();
        return health;
    }

    /**
     * Every provider as a selection candidate, unhealthy ones included so the explanation can say why. The
     * probe runs only if the pipeline asks (a candidate that passed the filters and ranks first).
     */
    public List<Candidate> candidates() {
        List<Candidate> candidates = new ArrayList<>();
        for (Entry entry : entries.values()) {
            ProviderCapabilities capabilities;
            try {
                capabilities = entry.provider.describe();
            } catch (RuntimeException | LinkageError e) {
                continue;
            }
            candidates.add(new Candidate(entry.provider.kind(), capabilities, () -> health(entry, false)));
        }
        return candidates;
    }

    @Override
    public void close() {
        for (Entry entry : entries.values()) {
            try {
                entry.provider.close();
            } catch (RuntimeException | LinkageError ignored) {
                // closing must go on for the others
            }
        }
    }
}
