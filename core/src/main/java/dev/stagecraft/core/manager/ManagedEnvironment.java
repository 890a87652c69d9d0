package dev.stagecraft.core.manager;

import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ResourceUsage;

import java.time.Instant;

/** One environment in the manager's registry, with what this process saw of it. */
final class ManagedEnvironment {
    final ExecutionEnvironment environment;
    volatile Instant lastUsed;
    volatile ResourceUsage lastUsage;

    ManagedEnvironment(ExecutionEnvironment environment, Instant lastUsed) {
        this.environment = environment;
        this.lastUsed = lastUsed;
    }

    String id() {
        return environment.id();
    }
}
