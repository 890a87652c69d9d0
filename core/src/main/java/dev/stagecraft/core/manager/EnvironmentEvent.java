package dev.stagecraft.core.manager;

import java.time.Instant;

/** Something that happened to an environment, delivered to {@link EnvironmentListener}s. */
public record EnvironmentEvent(Type type, String environmentId, String kind, Instant at, String detail) {
    public enum Type { CREATED, ADOPTED, EXEC_STARTED, EXEC_FINISHED, STARTED, STOPPED, DESTROYED, REAPED, FAILED }
}
