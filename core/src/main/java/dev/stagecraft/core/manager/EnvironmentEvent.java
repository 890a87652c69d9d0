package dev.stagecraft.core.manager;

import java.time.Duration;
import java.time.Instant;

/**
 * Something that happened to an environment, delivered to {@link EnvironmentListener}s. An event about a kind or a
 * pool rather than one environment ({@code SELECTED}, {@code POOL_HIT}, {@code POOL_MISS}, a pool's failed refill)
 * has an empty {@code environmentId}.
 *
 * @param kind     the environment's kind; for {@code SELECTED} the chosen kind, empty when nothing fits
 * @param detail   what happened, for people; for {@code POOL_HIT} and {@code POOL_MISS} exactly the pool's name
 * @param duration how long it took: the provider's create for {@code CREATED}, the command for {@code EXEC_FINISHED};
 *                 zero for the others
 * @param cause    a short word a program may count by, empty when the type says it all: why it was {@code REAPED}
 *                 ({@link #TTL}, {@link #ORPHANED}, {@link #IDLE}, {@link #POOL_DRAINED}, {@link #MANAGER_CLOSED})
 */
public record EnvironmentEvent(Type type, String environmentId, String kind, Instant at, String detail,
                               Duration duration, String cause) {
    public enum Type {
        CREATED, ADOPTED, EXEC_STARTED, EXEC_FINISHED, STARTED, STOPPED, DESTROYED, REAPED, FAILED,
        /** The selection pipeline decided: {@code kind} is the choice, empty when nothing fits. */
        SELECTED,
        /** An acquire was served from a warm pool whose profile matched ({@code detail} is the pool). */
        POOL_HIT,
        /** A warm pool's profile matched an acquire but none was ready: a new environment is made instead. */
        POOL_MISS
    }

    public static final String TTL = "ttl";
    public static final String ORPHANED = "orphaned";
    public static final String IDLE = "idle";
    public static final String POOL_DRAINED = "pool-drained";
    public static final String MANAGER_CLOSED = "manager-closed";

    /** An event that measures nothing and needs no cause. */
    public EnvironmentEvent(Type type, String environmentId, String kind, Instant at, String detail) {
        this(type, environmentId, kind, at, detail, Duration.ZERO, "");
    }
}
