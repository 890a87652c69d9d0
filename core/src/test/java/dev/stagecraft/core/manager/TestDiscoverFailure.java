package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.plugin.BoundProviders;
import dev.stagecraft.core.selection.SelectionPipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that cannot list its environments once is reported, and asked again the next time; one that cannot
 * remove an environment past its TTL keeps it visible, as expired, until a later reap or destroy succeeds.
 */
class TestDiscoverFailure {
    @TempDir
    Path state;

    private final List<EnvironmentEvent> events = new CopyOnWriteArrayList<>();
    private StagecraftConfig config;

    private ProviderRegistry registry(FlakySandbox provider, Clock clock) {
        config = new ConfigLoader(null, Map.of()).load(null).withStateDirectory(state);
        return new ProviderRegistry(List.of(BoundProviders.bound(provider)), config, clock);
    }

    private EnvironmentManager manager(ProviderRegistry registry, Clock clock) {
        EnvironmentManager manager = new EnvironmentManager(config, registry, SelectionPipeline.defaults(config.selection()),
                new AuditLog(config.auditPath(), true, clock), clock);
        manager.addListener(events::add);
        return manager;
    }

    @Test
    void aFailedDiscoverIsReportedAndTriedAgain() {
        String earlier;
        try (Stagecraft first = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false).build()) {
            SandboxOnHost.require(first);
            earlier = first.manager().create(EnvironmentRequirement.builder().build()).id();
        }

        ProviderRegistry registry = registry(new FlakySandbox(1), Clock.systemUTC());
        try (registry; EnvironmentManager manager = manager(registry, Clock.systemUTC())) {
            manager.start(false, false);
            try (Lease one = manager.acquire(EnvironmentRequirement.builder().build())) {
                assertThat(events).filteredOn(e -> e.type() == EnvironmentEvent.Type.FAILED)
                        .extracting(EnvironmentEvent::kind, EnvironmentEvent::detail)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("sandbox",
                                "discover failed: java.lang.IllegalStateException: backend hiccup; tried again on next use"));
                assertThat(manager.reconcileProblems())
                        .containsExactly("sandbox: discover failed: java.lang.IllegalStateException: backend hiccup");
                assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(one.id());

                try (Lease two = manager.acquire(EnvironmentRequirement.builder().build())) {
                    assertThat(events).filteredOn(e -> e.type() == EnvironmentEvent.Type.ADOPTED)
                            .extracting(EnvironmentEvent::environmentId).containsExactly(earlier);
                    assertThat(manager.reconcileProblems()).isEmpty();
                    assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id)
                            .containsExactlyInAnyOrder(earlier, one.id(), two.id());
                }
            }
            assertThat(manager.destroy(earlier)).isTrue();
        }
    }

    @Test
    void anExpiredEnvironmentThatCouldNotBeReapedStaysVisibleAsExpired() {
        MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        EnvironmentInfo created;
        try (Stagecraft first = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false)
                .clock(clock).build()) {
            SandboxOnHost.require(first);
            created = first.manager().create(EnvironmentRequirement.builder().ttl(Duration.ofSeconds(10)).build());
        }
        clock.advance(Duration.ofSeconds(11));

        FlakySandbox backend = new FlakySandbox(0);
        backend.refuseDestroy.set(true);
        ProviderRegistry registry = registry(backend, clock);
        try (registry; EnvironmentManager manager = manager(registry, clock)) {
            manager.start(false, true);
            assertThat(events).filteredOn(e -> e.type() == EnvironmentEvent.Type.FAILED).extracting(EnvironmentEvent::detail)
                    .containsExactly("reap failed: backend refused to remove " + created.id());
            EnvironmentInfo info = manager.status(created.id());
            assertThat(info.expired()).as("kept, and shown past its TTL").isTrue();
            assertThat(info.expiresAt()).contains(created.createdAt().plusSeconds(10));
            assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(created.id());
            assertThat(AuditLines.read(config.auditPath())).last()
                    .satisfies(record -> assertThat(record.path("action").asText() + " " + record.path("outcome").asText())
                            .isEqualTo("reap failed"));

            backend.refuseDestroy.set(false);
            assertThat(manager.reap()).as("the next pass tries again").isEqualTo(1);
            assertThat(manager.list(Optional.empty(), Map.of())).isEmpty();
            assertThat(state.resolve("sandbox").resolve("envs").resolve(created.id())).doesNotExist();
        }
    }
}
