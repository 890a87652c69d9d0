package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionFilter;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Security level → minimal isolation class, and the requirement's own {@code isolation} if stronger.
 * Defaults: low → process, medium → container, high → user-kernel, critical → vm.
 * Config: {@code selection.security.minimum-isolation.<level>: <isolation>}.
 */
public final class SecurityLevelFilter implements SelectionFilter {
    private final Map<SecurityLevel, IsolationLevel> minimum = new EnumMap<>(Map.of(
            SecurityLevel.LOW, IsolationLevel.PROCESS,
            SecurityLevel.MEDIUM, IsolationLevel.CONTAINER,
            SecurityLevel.HIGH, IsolationLevel.USER_KERNEL,
            SecurityLevel.CRITICAL, IsolationLevel.VM));

    @Override
    public String name() {
        return "security";
    }

    @Override
    public int order() {
        return 10;
    }

    @Override
    public void configure(Settings settings) {
        Settings section = settings.section("minimum-isolation");
        for (String key : section.keys()) {
            SecurityLevel level;
            try {
                level = SecurityLevel.parse(key);
            } catch (RuntimeException e) {
                throw section.invalid(key, "unknown security level (expected low, medium, high or critical)");
            }
            try {
                minimum.put(level, IsolationLevel.parse(section.string(key, "")));
            } catch (RuntimeException e) {
                throw section.invalid(key, "'" + section.string(key, "")
                        + "' is not an isolation class (process, container, user-kernel or vm)");
            }
        }
    }

    /** The weakest isolation class this requirement accepts. */
    public IsolationLevel requiredIsolation(EnvironmentRequirement requirement) {
        IsolationLevel byLevel = minimum.get(requirement.securityLevel());
        IsolationLevel asked = requirement.isolation().orElse(IsolationLevel.PROCESS);
        return asked.atLeast(byLevel) ? asked : byLevel;
    }

    @Override
    public Optional<String> reject(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        IsolationLevel needed = requiredIsolation(requirement);
        if (candidate.weakestAtLeast(needed).isPresent()) {
            return Optional.empty();
        }
        String why = requirement.isolation().filter(i -> i == needed).isPresent()
                ? "isolation " + needed.label() + " was asked"
                : "level " + requirement.securityLevel().label() + " needs " + needed.label() + " or stronger";
        return Optional.of("offers isolation up to " + candidate.strongest().label() + "; " + why);
    }
}
