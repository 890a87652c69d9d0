package dev.stagecraft.core.selection;

import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderHealth;

import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * An installed provider as the pipeline sees it: what it can do, and how to learn whether it is healthy now.
 * The health is asked for at most once, and only when the candidate survived every filter and ranks
 * high enough to be chosen: a probe may cost a daemon round trip.
 */
public final class Candidate {
    private final String kind;
    private final ProviderCapabilities capabilities;
    private final Supplier<ProviderHealth> probe;
    private ProviderHealth health;

    public Candidate(String kind, ProviderCapabilities capabilities, Supplier<ProviderHealth> probe) {
        this.kind = requireNonNull(kind, "kind is null");
        this.capabilities = requireNonNull(capabilities, "capabilities is null");
        this.probe = requireNonNull(probe, "probe is null");
    }

    public Candidate(String kind, ProviderCapabilities capabilities, ProviderHealth health) {
        this(kind, capabilities, () -> health);
        requireNonNull(health, "health is null");
    }

    public String kind() {
        return kind;
    }

    public ProviderCapabilities capabilities() {
        return capabilities;
    }

    /** Probes on the first call; later calls return the same answer. */
    public synchronized ProviderHealth health() {
        if (health == null) {
            health = requireNonNull(probe.get(), "probe returned null");
        }
        return health;
    }
}
