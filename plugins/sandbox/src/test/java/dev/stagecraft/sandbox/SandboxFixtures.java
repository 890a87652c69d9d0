package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Providers and specs for the sandbox's own tests. */
final class SandboxFixtures {
    private SandboxFixtures() {
    }

    static SandboxProvider provider(Path stateDir) {
        return provider(stateDir, Map.of());
    }

    static SandboxProvider provider(Path stateDir, Map<String, ?> settings) {
        SandboxProvider provider = new SandboxProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.sandbox", settings)));
        return provider;
    }

    /** A provider whose backend works; fails under CI and skips elsewhere when bubblewrap or cgroups are missing. */
    static SandboxProvider usableProvider(Path stateDir, Map<String, ?> settings) {
        SandboxProvider provider = provider(stateDir, settings);
        BackendRequirement.require(provider);
        return provider;
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.CONTAINER,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)));
    }

    static EnvironmentSpec spec() {
        return spec(EnvironmentRequirement.builder().build());
    }
}
