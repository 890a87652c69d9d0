package dev.stagecraft.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of an environment. The legal transitions are written down here once; providers and the
 * manager check them through {@link #canTransitionTo}.
 *
 * <pre>
 * CREATING → READY | ERROR
 * READY    → RUNNING | STOPPING | ERROR
 * RUNNING  → READY | STOPPING | ERROR
 * STOPPING → STOPPED | ERROR
 * STOPPED  → READY | STOPPING | ERROR   (start again, or destroy)
 * ERROR    → STOPPING                   (only cleanup is left)
 * </pre>
 * RUNNING means at least one command is executing. Destroy passes through STOPPING to STOPPED.
 */
public enum EnvironmentStatus {
    CREATING, READY, RUNNING, STOPPING, STOPPED, ERROR;

    public Set<EnvironmentStatus> next() {
        switch (this) {
            case CREATING: return EnumSet.of(READY, ERROR);
            case READY: return EnumSet.of(RUNNING, STOPPING, ERROR);
            case RUNNING: return EnumSet.of(READY, STOPPING, ERROR);
            case STOPPING: return EnumSet.of(STOPPED, ERROR);
            case STOPPED: return EnumSet.of(READY, STOPPING, ERROR);
            case ERROR: return EnumSet.of(STOPPING);
            default: throw new AssertionError(this);
        }
    }

    public boolean canTransitionTo(EnvironmentStatus target) {
        return next().contains(target);
    }

    /** Whether commands may be executed now (directly, or after the manager starts the environment). */
    public boolean acceptsExec() {
        return this == READY || this == RUNNING;
    }

    /** Throws ILLEGAL_STATE unless {@code from → to} is legal. */
    public static void checkTransition(String environmentId, EnvironmentStatus from, EnvironmentStatus to) {
        if (!from.canTransitionTo(to)) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE,
                    "environment '" + environmentId + "' cannot go from " + from + " to " + to);
        }
    }
}
