package dev.stagecraft.core.manager;

/** Receives lifecycle events synchronously; an exception it throws is ignored, never seen by the caller. */
@FunctionalInterface
public interface EnvironmentListener {
    void onEvent(EnvironmentEvent event);
}
