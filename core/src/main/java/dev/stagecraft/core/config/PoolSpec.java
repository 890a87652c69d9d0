package dev.stagecraft.core.config;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A warm pool from {@code pools.<name>}: how many environments to keep created and ready for one requirement
 * profile. An acquire whose requirement has the same profile (everything but labels, TTL and expected
 * duration) and selects the same kind gets one of them; it is never given to a second caller.
 */
public record PoolSpec(String name, int size, EnvironmentRequirement requirement) {
    static final Set<String> KEYS = Set.of("size", "tool-type", "security", "isolation", "cpus", "memory", "disk", "gpus",
            "network", "persistent", "provider", "expected-duration", "ttl", "options");

    public PoolSpec {
        requireNonNull(name, "name is null");
        requireNonNull(requirement, "requirement is null");
        if (!requirement.labels().isEmpty()) {
            throw new IllegalArgumentException("a pooled requirement carries no labels");
        }
    }

    static PoolSpec parse(String name, Settings section) {
        for (String key : section.keys()) {
            if (!KEYS.contains(key)) {
                throw section.invalid(key, "unknown key (known here: " + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
            }
        }
        int size = (int) section.integer("size", 1, 0, 64);
        EnvironmentRequirement.Builder builder = EnvironmentRequirement.builder()
                .toolType(section.string("tool-type", "generic"))
                .network(section.bool("network", false))
                .persistentStorage(section.bool("persistent", false))
                .cpus(section.number("cpus", 0))
                .memoryBytes(section.bytes("memory", 0))
                .diskBytes(section.bytes("disk", 0))
                .gpus((int) section.integer("gpus", 0, 0, 64))
                .provider(section.string("provider", null));
        builder.expectedDuration(section.duration("expected-duration", java.time.Duration.ofSeconds(30)));
        builder.ttl(section.duration("ttl", java.time.Duration.ZERO));
        try {
            builder.securityLevel(SecurityLevel.parse(section.string("security", "medium")));
        } catch (RuntimeException e) {
            throw section.invalid("security", "'" + section.string("security", "") + "' is not low, medium, high or critical");
        }
        if (section.has("isolation")) {
            try {
                builder.isolation(IsolationLevel.parse(section.string("isolation", "")));
            } catch (RuntimeException e) {
                throw section.invalid("isolation", "'" + section.string("isolation", "")
                        + "' is not process, container, user-kernel or vm");
            }
        }
        Settings options = section.section("options");
        for (String key : options.keys()) {
            builder.option(key, options.string(key, ""));
        }
        return new PoolSpec(name, size, builder.build());
    }
}
