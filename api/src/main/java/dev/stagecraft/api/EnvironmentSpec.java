package dev.stagecraft.api;

import static java.util.Objects.requireNonNull;

/**
 * What a provider is asked to create: the caller's requirement, the isolation class the selection chose
 * among those the provider offers, the id the manager assigned, and the labels every resource must carry.
 */
public record EnvironmentSpec(String id, EnvironmentRequirement requirement, IsolationLevel isolation, Labels labels) {
    public EnvironmentSpec {
        requireNonNull(id, "id is null");
        requireNonNull(requirement, "requirement is null");
        requireNonNull(isolation, "isolation is null");
        requireNonNull(labels, "labels is null");
        if (!id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw StagecraftException.invalidRequirement("environment id '" + id
                    + "' must be 1-63 lowercase letters, digits or '-'");
        }
    }
}
