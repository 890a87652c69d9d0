package dev.stagecraft.api;

import java.nio.file.Path;

/**
 * What the host gives a provider once, before any other call.
 *
 * @param owner          the manager's owner name, to be written as the {@link Labels#OWNER} label
 * @param stateDirectory a directory the provider may use for its own files (created by the host)
 * @param settings       the provider's section of the configuration, {@code providers.<kind>}
 */
public record ProviderContext(String owner, Path stateDirectory, Settings settings) {
    public ProviderContext {
        java.util.Objects.requireNonNull(owner, "owner is null");
        java.util.Objects.requireNonNull(stateDirectory, "stateDirectory is null");
        java.util.Objects.requireNonNull(settings, "settings is null");
    }
}
