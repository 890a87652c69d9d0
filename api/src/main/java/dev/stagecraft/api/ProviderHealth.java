package dev.stagecraft.api;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The result of a provider's probe (its fingerprint of the host).
 *
 * @param available whether it can create environments now
 * @param reason    one line a person can read: why not, or what was found
 * @param remedies  what to install, start or enable to make it available (empty when available)
 * @param details   facts found by the probe ({@code bwrap=0.8.0}, {@code cgroup=v1}, ...), shown by doctor
 */
public record ProviderHealth(boolean available, String reason, List<String> remedies, Map<String, String> details) {
    public ProviderHealth {
        requireNonNull(reason, "reason is null");
        remedies = List.copyOf(remedies);
        details = SortedCopy.of(details, "details");
    }

    public static ProviderHealth available(String reason, Map<String, String> details) {
        return new ProviderHealth(true, reason, List.of(), details);
    }

    public static ProviderHealth unavailable(String reason, List<String> remedies, Map<String, String> details) {
        return new ProviderHealth(false, reason, remedies, details);
    }
}
