package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;

/** Lets a test outside this package hand its own provider to a registry, as the loader would. */
public final class BoundProviders {
    private BoundProviders() {
    }

    public static ContextBoundProvider bound(EnvironmentProvider provider) {
        return new ContextBoundProvider(provider, "test", null);
    }
}
