package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.selection.SelectionFilter;

import java.util.Optional;

/**
 * Drops providers whose per-environment ceiling is below what the requirement asks (zero: no ceiling), and, for a
 * requirement that states a disk size, providers that cannot hold an environment to it.
 */
public final class ResourceCeilingFilter implements SelectionFilter {
    @Override
    public String name() {
        return "resources";
    }

    @Override
    public int order() {
        return 30;
    }

    @Override
    public Optional<String> reject(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        Resources want = requirement.resources();
        Resources max = candidate.ceiling();
        if (max.cpus() > 0 && want.cpus() > max.cpus()) {
            return Optional.of("at most " + max.cpus() + " cpus, " + want.cpus() + " asked");
        }
        if (max.memoryBytes() > 0 && want.memoryBytes() > max.memoryBytes()) {
            return Optional.of("at most " + Quantities.formatBytes(max.memoryBytes()) + " memory, "
                    + Quantities.formatBytes(want.memoryBytes()) + " asked");
        }
        if (want.diskBytes() > 0 && !candidate.diskLimit()) {
            return Optional.of("cannot limit an environment's disk (" + Quantities.formatBytes(want.diskBytes()) + " asked)");
        }
        if (max.diskBytes() > 0 && want.diskBytes() > max.diskBytes()) {
            return Optional.of("at most " + Quantities.formatBytes(max.diskBytes()) + " disk, "
                    + Quantities.formatBytes(want.diskBytes()) + " asked");
        }
        if (max.gpus() > 0 && want.gpus() > max.gpus()) {
            return Optional.of("at most " + max.gpus() + " gpus, " + want.gpus() + " asked");
        }
        return Optional.empty();
    }
}
