package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ResourceUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** What {@code status} and {@code list} report about one environment. */
public record EnvironmentInfo(String id, String kind, IsolationLevel isolation, EnvironmentStatus status,
                              Instant createdAt, Duration uptime, Duration ttl, Labels labels,
                              Optional<ResourceUsage> lastUsage) {
}
