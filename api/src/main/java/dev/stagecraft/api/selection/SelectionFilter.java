package dev.stagecraft.api.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;

import java.util.Optional;

/**
 * A stage of the selection pipeline that drops candidates. Found by {@link java.util.ServiceLoader}; its
 * numbers come from the configuration section {@code selection.<name>}.
 */
public interface SelectionFilter {
    /** A short stable name, shown in explanations and used as the configuration key. */
    String name();

    /** Filters run in ascending order; ties by name. */
    default int order() {
        return 100;
    }

    /** Receives the stage's configuration section once, before any call to {@link #reject}. */
    default void configure(Settings settings) {
    }

    /**
     * Why {@code candidate} cannot serve {@code requirement}, in words a person can act on
     * ({@code "offers isolation up to container; level high needs user-kernel"}), or empty to keep it.
     */
    Optional<String> reject(EnvironmentRequirement requirement, ProviderCapabilities candidate);
}
