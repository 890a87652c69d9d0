package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ResourceUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What {@code status} and {@code list} report about one environment.
 *
 * @param lastUsedAt the last exec, file call or start seen by any process (its creation when never used; now
 *                   while a command runs in it)
 * @param expiresAt  creation plus TTL; empty when the TTL is zero (never expires)
 * @param expired    past its TTL but not reaped yet: nothing reaps it until some process reconciles or reaps
 */
public record EnvironmentInfo(String id, String kind, IsolationLevel isolation, EnvironmentStatus status,
                              Instant createdAt, Duration uptime, Duration ttl, Labels labels,
                              Optional<ResourceUsage> lastUsage, Instant lastUsedAt, Optional<Instant> expiresAt,
                              boolean expired) {
}
