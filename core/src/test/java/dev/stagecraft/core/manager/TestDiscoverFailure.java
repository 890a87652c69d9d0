package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.plugin.BoundProviders;
import dev.stagecraft.core.selection.SelectionPipeline;
import dev.stagecraft.sandbox.SandboxProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A backend that cannot list its environments once is reported, and asked again the next time. */
class TestDiscoverFailure {
    @TempDir
    Path state;

    /** The real sandbox, whose discover() fails the first {@code failures} times. */
    private static final class FlakyDiscovery implements EnvironmentProvider {
        private final SandboxProvider sandbox = new SandboxProvider();
        private final AtomicInteger failures;

        FlakyDiscovery(int failures) {
            this.failures = new AtomicInteger(failures);
        }

        @Override public String kind() { return sandbox.kind(); }
        @Override public void initialize(ProviderContext context) { sandbox.initialize(context); }
        @Override public ProviderCapabilities describe() { return sandbox.describe(); }
        @Override public ProviderHealth probe() { return sandbox.probe(); }
        @Override public ExecutionEnvironment create(EnvironmentSpec spec) { return sandbox.create(spec); }
        @Override public void close() { sandbox.close(); }

        @Override
        public List<ExecutionEnvironment> discover() {
            if (failures.getAndDecrement() > 0) {
                throw new IllegalStateException("backend hiccup");
            }
            return sandbox.discover();
        }
    }

    @Test
    void aFailedDiscoverIsReportedAndTriedAgain() {
        String earlier;
        try (Stagecraft first = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false).build()) {
            SandboxOnHost.require(first);
            earlier = first.manager().create(EnvironmentRequirement.builder().build()).id();
        }

        StagecraftConfig config = new ConfigLoader(null, Map.of()).load(null).withStateDirectory(state);
        Clock clock = Clock.systemUTC();
        ProviderRegistry registry = new ProviderRegistry(List.of(BoundProviders.bound(new FlakyDiscovery(1))), config, clock);
        List<EnvironmentEvent> events = new CopyOnWriteArrayList<>();
        try (registry; EnvironmentManager manager = new EnvironmentManager(config, registry,
                SelectionPipeline.defaults(config.selection()), new AuditLog(config.auditPath(), true, clock), clock)) {
            manager.addListener(events::add);
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
}
