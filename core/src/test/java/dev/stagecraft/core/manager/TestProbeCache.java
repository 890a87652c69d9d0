package dev.stagecraft.core.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.plugin.BoundProviders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provider's health is probed once per cache time; past it an available answer is still given at once while one
 * probe renews it in the background, and an unavailable one is probed again before it is given.
 */
class TestProbeCache {
    @TempDir
    Path state;

    private Instant now = Instant.parse("2026-12-05T12:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Test
    void aStaleAvailableAnswerIsGivenAtOnceWhileOneProbeRenewsIt() throws Exception {
        Probed provider = new Probed();
        try (ProviderRegistry registry = registry(provider)) {
            ProviderRegistry.Entry entry = registry.entry("probed").orElseThrow();
            assertThat(registry.health(entry, false).available()).isTrue();
            assertThat(registry.health(entry, false).available()).isTrue();
            assertThat(provider.probes.get()).as("cached within the cache time").isEqualTo(1);

            now = now.plus(ProviderRegistry.PROBE_CACHE).plusSeconds(1);
            provider.available = false;
            provider.gate = new CountDownLatch(1);
            long start = System.nanoTime();
            assertThat(registry.health(entry, false).available()).as("the known answer, not the probe's").isTrue();
            assertThat(registry.health(entry, false).available()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait on the held probe").isLessThan(Duration.ofSeconds(5));
            provider.gate.countDown();
            awaitProbes(provider, 2);
            assertThat(provider.probes.get()).as("one renewal, however many asked").isEqualTo(2);
            awaitAnswer(registry, entry, false);
        }
    }

    @Test
    void aStaleUnavailableAnswerIsProbedAgainBeforeItIsGiven() {
        Probed provider = new Probed();
        provider.available = false;
        try (ProviderRegistry registry = registry(provider)) {
            ProviderRegistry.Entry entry = registry.entry("probed").orElseThrow();
            assertThat(registry.health(entry, false).available()).isFalse();
            now = now.plus(ProviderRegistry.PROBE_CACHE).plusSeconds(1);
            provider.available = true;
            assertThat(registry.health(entry, false).available()).as("a provider that came back is seen at once").isTrue();
            assertThat(provider.probes.get()).isEqualTo(2);
            assertThat(registry.health(entry, true).available()).isTrue();
            assertThat(provider.probes.get()).as("fresh always probes").isEqualTo(3);
        }
    }

    private ProviderRegistry registry(Probed provider) {
        StagecraftConfig config = new ConfigLoader(null, Map.of()).load(null).withStateDirectory(state);
        return new ProviderRegistry(List.of(BoundProviders.bound(provider)), config, clock);
    }

    private static void awaitProbes(Probed provider, int count) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (provider.probes.get() < count && System.nanoTime() < end) {
            Thread.sleep(5);
        }
    }

    private static void awaitAnswer(ProviderRegistry registry, ProviderRegistry.Entry entry, boolean available)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (registry.health(entry, false).available() != available && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(registry.health(entry, false).available()).as("the renewed answer is given next").isEqualTo(available);
    }

    /** Counts its probes; a probe waits on {@code gate} when one is set. */
    private static final class Probed implements EnvironmentProvider {
        final AtomicInteger probes = new AtomicInteger();
        volatile boolean available = true;
        volatile CountDownLatch gate;

        @Override
        public String kind() {
            return "probed";
        }

        @Override
        public ProviderCapabilities describe() {
            throw new UnsupportedOperationException("not asked here");
        }

        @Override
        public ProviderHealth probe() {
            CountDownLatch waitFor = gate;
            if (waitFor != null) {
                try {
                    waitFor.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            probes.incrementAndGet();
            return available ? ProviderHealth.available("ok", Map.of())
                    : ProviderHealth.unavailable("down", List.of(), Map.of());
        }

        @Override
        public ExecutionEnvironment create(EnvironmentSpec spec) {
            throw new UnsupportedOperationException("not asked here");
        }

        @Override
        public List<ExecutionEnvironment> discover() {
            return List.of();
        }
    }
}
