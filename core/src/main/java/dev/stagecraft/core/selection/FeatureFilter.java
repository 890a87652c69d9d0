package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionFilter;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * GPU, network and persistent-storage needs; for network, also the egress policy (a kind that cannot keep networked
 * code off the host and private ranges, or cannot hold the requirement's allowlist, is dropped). Network is also
 * refused outright at the levels listed in {@code selection.features.network-forbidden-at} (default: critical, where
 * the VM runs with network off), and there a kind whose environments always have network is dropped too.
 * A tool type listed in {@code selection.features.gpu-tool-types} (default: gpu_intensive) needs a kind that can attach
 * GPUs even when the requirement names no GPU count: such a tool is useless without one.
 */
public final class FeatureFilter implements SelectionFilter {
    private final Set<SecurityLevel> networkForbiddenAt = EnumSet.of(SecurityLevel.CRITICAL);
    private final Set<String> gpuToolTypes = new java.util.HashSet<>(Set.of("gpu_intensive"));

    @Override
    public String name() {
        return "features";
    }

    @Override
    public int order() {
        return 20;
    }

    @Override
    public void configure(Settings settings) {
        if (settings.has("gpu-tool-types")) {
            gpuToolTypes.clear();
            settings.strings("gpu-tool-types", java.util.List.of()).forEach(t -> gpuToolTypes.add(t.toLowerCase(Locale.ROOT)));
        }
        if (settings.has("network-forbidden-at")) {
            networkForbiddenAt.clear();
            for (String level : settings.strings("network-forbidden-at", java.util.List.of())) {
                try {
                    networkForbiddenAt.add(SecurityLevel.parse(level));
                } catch (RuntimeException e) {
                    throw settings.invalid("network-forbidden-at", "'" + level + "' is not a security level");
                }
            }
        }
    }

    @Override
    public Optional<String> reject(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        if (requirement.gpu() && !candidate.gpu()) {
            return Optional.of("cannot attach GPUs (" + requirement.resources().gpus() + " asked)");
        }
        if (!candidate.gpu() && gpuToolTypes.contains(requirement.toolType().toLowerCase(Locale.ROOT))) {
            return Optional.of("cannot attach GPUs (tool type " + requirement.toolType() + " needs one)");
        }
        if (requirement.network() && networkForbiddenAt.contains(requirement.securityLevel())) {
            return Optional.of("network is not allowed at level " + requirement.securityLevel().name().toLowerCase(Locale.ROOT));
        }
        if (!requirement.network() && candidate.alwaysNetworked()
                && networkForbiddenAt.contains(requirement.securityLevel())) {
            return Optional.of("always has network, and network is not allowed at level "
                    + requirement.securityLevel().name().toLowerCase(Locale.ROOT));
        }
        if (requirement.network() && !candidate.network()) {
            return Optional.of("cannot give network access");
        }
        if (requirement.network()) {
            String shortfall = candidate.egress().shortfall(requirement.egress());
            if (shortfall != null) {
                return Optional.of(shortfall);
            }
        }
        if (requirement.persistentStorage() && !candidate.persistentStorage()) {
            return Optional.of("has no persistent storage");
        }
        return Optional.empty();
    }
}
