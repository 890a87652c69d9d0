package dev.stagecraft.server;

import dev.stagecraft.api.Settings;

import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What one tenant may hold at once: environments, and in all the CPUs, memory and GPUs its environments were made
 * with. An empty amount has no limit.
 */
public record TenantQuota(int environments, OptionalDouble cpus, OptionalLong memoryBytes, OptionalInt gpus) {
    static final Set<String> KEYS = Set.of("max-environments", "max-cpus", "max-memory", "max-gpus");
    static final TenantQuota DEFAULT = new TenantQuota(20, OptionalDouble.empty(), OptionalLong.empty(), OptionalInt.empty());
    private static final String UNLIMITED = "unlimited";
    private static final int MOST = 100_000;

    /** This quota with whatever {@code section} states ({@link #KEYS}) in place of its own amounts. */
    TenantQuota with(Settings section) {
        return new TenantQuota((int) section.integer("max-environments", environments, 0, MOST),
                section.has("max-cpus") ? cpus(section) : cpus,
                section.has("max-memory") ? memory(section) : memoryBytes,
                section.has("max-gpus") ? gpus(section) : gpus);
    }

    private static OptionalDouble cpus(Settings section) {
        if (unlimited(section, "max-cpus")) {
            return OptionalDouble.empty();
        }
        double value = section.number("max-cpus", 0);
        if (value < 0 || value > MOST) {
            throw section.invalid("max-cpus", section.string("max-cpus", "").trim() + " is out of range [0, " + MOST
                    + "] (or unlimited)");
        }
        return OptionalDouble.of(value);
    }

    private static OptionalLong memory(Settings section) {
        return unlimited(section, "max-memory") ? OptionalLong.empty() : OptionalLong.of(section.bytes("max-memory", 0));
    }

    private static OptionalInt gpus(Settings section) {
        return unlimited(section, "max-gpus") ? OptionalInt.empty()
                : OptionalInt.of((int) section.integer("max-gpus", 0, 0, MOST));
    }

    private static boolean unlimited(Settings section, String key) {
        return UNLIMITED.equalsIgnoreCase(section.string(key, "").trim());
    }
}
