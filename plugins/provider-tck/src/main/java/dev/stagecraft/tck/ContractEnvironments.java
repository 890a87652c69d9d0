package dev.stagecraft.tck;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** What the batteries share: an environment made for a requirement, and a shell script run in it. */
final class ContractEnvironments {
    private ContractEnvironments() {
    }

    /**
     * Creates an environment of {@code provider} for {@code requirement}, at the weakest isolation class it offers that
     * meets the requirement's (its strongest when the requirement names none), labelled with owner {@code tck}.
     */
    static ExecutionEnvironment create(EnvironmentProvider provider, EnvironmentRequirement requirement) {
        String id = "tck-" + UUID.randomUUID().toString().substring(0, 12);
        ProviderCapabilities capabilities = provider.describe();
        IsolationLevel isolation = requirement.isolation().flatMap(capabilities::weakestAtLeast).orElse(capabilities.strongest());
        Labels labels = Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, provider.kind());
        return provider.create(new EnvironmentSpec(id, requirement, isolation, labels));
    }

    /** Runs {@code sh -c script sh args...} in {@code env} with {@code timeout}. */
    static ExecResult sh(ExecutionEnvironment env, Duration timeout, String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        argv.addAll(List.of(args));
        return env.execute(ExecRequest.builder(argv.toArray(String[]::new)).timeout(timeout).build());
    }
}
