package dev.stagecraft.core.manager;

import dev.stagecraft.api.ExecutionEnvironment;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The listeners of one manager and the events sent to them. */
final class EnvironmentEvents {
    private final List<EnvironmentListener> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;

    EnvironmentEvents(Clock clock) {
        this.clock = clock;
    }

    void add(EnvironmentListener listener) {
        listeners.add(listener);
    }

    void emit(EnvironmentEvent.Type type, ExecutionEnvironment environment, String detail) {
        emit(type, environment.id(), environment.kind(), detail);
    }

    /** An event about a kind rather than one environment passes an empty id. */
    void emit(EnvironmentEvent.Type type, String environmentId, String kind, String detail) {
        send(new EnvironmentEvent(type, environmentId, kind, clock.instant(), detail));
    }

    /** An event that took {@code duration} (a create, a command). */
    void emitTimed(EnvironmentEvent.Type type, ExecutionEnvironment environment, String detail, Duration duration) {
        send(new EnvironmentEvent(type, environment.id(), environment.kind(), clock.instant(), detail, duration, ""));
    }

    /** An event with a {@link EnvironmentEvent#cause() cause} to count by. */
    void emitCaused(EnvironmentEvent.Type type, ExecutionEnvironment environment, String detail, String cause) {
        send(new EnvironmentEvent(type, environment.id(), environment.kind(), clock.instant(), detail, Duration.ZERO, cause));
    }

    private void send(EnvironmentEvent event) {
        for (EnvironmentListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException ignored) {
                // a listener never breaks the caller
            }
        }
    }
}
