package dev.stagecraft.api;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What a provider can do, as plain data the selection pipeline filters and scores on.
 *
 * @param kind                the provider's kind ({@code sandbox}, {@code docker}, ...)
 * @param isolationLevels     every isolation class it can offer right now (e.g. runc and gVisor)
 * @param startupEstimate     typical time from create to ready on this host
 * @param executionEfficiency 0-10, how close to bare-metal speed work runs (10: native)
 * @param costPerHour         relative cost of one environment-hour (0: free on this host)
 * @param gpu                 whether it can attach GPUs
 * @param network             whether it can give an environment network access
 * @param persistentStorage   whether a workspace can outlive the environment
 * @param ceiling             the most one environment may have (zero fields: no ceiling)
 * @param egress              how far it can hold a networked environment's connections to an {@link EgressPolicy}
 * @param diskLimit           whether it holds an environment to the requirement's disk size (workspace and scratch
 *                            space); selection drops a kind that cannot for a requirement that states one
 * @param alwaysNetworked     whether every environment has network access even when the requirement asks for none
 *                            (a serverless function, a pod where no network policy is enforced); selection drops
 *                            such a kind at the levels where network is not allowed
 */
public record ProviderCapabilities(String kind, Set<IsolationLevel> isolationLevels, Duration startupEstimate,
                                   int executionEfficiency, double costPerHour, boolean gpu, boolean network,
                                   boolean persistentStorage, Resources ceiling, EgressControl egress,
                                   boolean diskLimit, boolean alwaysNetworked) {
    public ProviderCapabilities {
        requireNonNull(kind, "kind is null");
        requireNonNull(isolationLevels, "isolationLevels is null");
        requireNonNull(startupEstimate, "startupEstimate is null");
        requireNonNull(ceiling, "ceiling is null");
        requireNonNull(egress, "egress is null");
        if (isolationLevels.isEmpty()) {
            throw new IllegalArgumentException("provider '" + kind + "' offers no isolation level");
        }
        isolationLevels = Set.copyOf(EnumSet.copyOf(isolationLevels));
        if (executionEfficiency < 0 || executionEfficiency > 10) {
            throw new IllegalArgumentException("executionEfficiency must be 0-10, got " + executionEfficiency);
        }
        if (alwaysNetworked && !network) {
            throw new IllegalArgumentException("provider '" + kind + "' is always networked but says it cannot give"
                    + " network access");
        }
    }

    /** The shape before {@link #alwaysNetworked} existed: an environment has network only when asked for. */
    public ProviderCapabilities(String kind, Set<IsolationLevel> isolationLevels, Duration startupEstimate,
                                int executionEfficiency, double costPerHour, boolean gpu, boolean network,
                                boolean persistentStorage, Resources ceiling, EgressControl egress,
                                boolean diskLimit) {
        this(kind, isolationLevels, startupEstimate, executionEfficiency, costPerHour, gpu, network, persistentStorage,
                ceiling, egress, diskLimit, false);
    }

    /** The shape before {@link #diskLimit} existed: a provider that says nothing of disk enforces none. */
    public ProviderCapabilities(String kind, Set<IsolationLevel> isolationLevels, Duration startupEstimate,
                                int executionEfficiency, double costPerHour, boolean gpu, boolean network,
                                boolean persistentStorage, Resources ceiling, EgressControl egress) {
        this(kind, isolationLevels, startupEstimate, executionEfficiency, costPerHour, gpu, network, persistentStorage,
                ceiling, egress, false, false);
    }

    /** The shape before {@link #egress} existed: a provider that says nothing of egress enforces none. */
    public ProviderCapabilities(String kind, Set<IsolationLevel> isolationLevels, Duration startupEstimate,
                                int executionEfficiency, double costPerHour, boolean gpu, boolean network,
                                boolean persistentStorage, Resources ceiling) {
        this(kind, isolationLevels, startupEstimate, executionEfficiency, costPerHour, gpu, network, persistentStorage,
                ceiling, EgressControl.NONE, false, false);
    }

    /** The weakest isolation class offered that is at least {@code minimum}, if any. */
    public java.util.Optional<IsolationLevel> weakestAtLeast(IsolationLevel minimum) {
        return EnumSet.copyOf(isolationLevels).stream().filter(l -> l.atLeast(minimum)).findFirst();
    }

    public IsolationLevel strongest() {
        return EnumSet.copyOf(isolationLevels).stream().reduce((a, b) -> b).orElseThrow();
    }
}
