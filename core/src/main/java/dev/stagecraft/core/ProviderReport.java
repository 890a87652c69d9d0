package dev.stagecraft.core;

import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderHealth;

import java.util.Optional;

/** One installed provider as {@code doctor} and {@code plugins} show it. */
public record ProviderReport(String kind, String version, String origin, ProviderHealth health,
                             Optional<ProviderCapabilities> capabilities) {
}
