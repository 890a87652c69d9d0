package dev.stagecraft.core.selection;

import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderHealth;

import static java.util.Objects.requireNonNull;

/** An installed provider as the pipeline sees it: what it can do and whether it is healthy now. */
public record Candidate(String kind, ProviderCapabilities capabilities, ProviderHealth health) {
    public Candidate {
        requireNonNull(kind, "kind is null");
        requireNonNull(capabilities, "capabilities is null");
        requireNonNull(health, "health is null");
    }
}
