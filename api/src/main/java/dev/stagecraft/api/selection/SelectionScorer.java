package dev.stagecraft.api.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;

/**
 * A stage of the selection pipeline that adds points to each surviving candidate; the highest total wins.
 * Found by {@link java.util.ServiceLoader}; its numbers come from {@code selection.<name>}.
 */
public interface SelectionScorer {
    /** A short stable name, shown in explanations and used as the configuration key. */
    String name();

    /** Receives the stage's configuration section once, before any call to {@link #score}. */
    default void configure(Settings settings) {
    }

    /** Points for {@code candidate}, with a short reason ({@code "startup 1.5s, job under 60s: (10-1.5)x2"}). */
    Score score(EnvironmentRequirement requirement, ProviderCapabilities candidate);

    /** Points and why. */
    record Score(double points, String reason) {
        public Score {
            if (Double.isNaN(points) || Double.isInfinite(points)) {
                throw new IllegalArgumentException("score must be finite, got " + points);
            }
            java.util.Objects.requireNonNull(reason, "reason is null");
        }
    }
}
