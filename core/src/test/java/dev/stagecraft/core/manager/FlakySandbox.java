package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real sandbox with a backend that misbehaves on purpose: its {@code discover()} fails the first
 * {@code discoverFailures} times, and while {@link #refuseDestroy} is set, destroying what it discovered fails.
 */
final class FlakySandbox extends SandboxWrapper {
    private final AtomicInteger discoverFailures;
    final AtomicBoolean refuseDestroy = new AtomicBoolean();

    FlakySandbox(int discoverFailures) {
        this.discoverFailures = new AtomicInteger(discoverFailures);
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        return sandbox.create(spec);
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        if (discoverFailures.getAndDecrement() > 0) {
            throw new IllegalStateException("backend hiccup");
        }
        return super.discover();
    }

    /** A discovered environment whose destroy fails while the provider refuses. */
    @Override
    ExecutionEnvironment wrap(ExecutionEnvironment real) {
        return new Passing(real) {
            @Override
            public void destroy() {
                if (refuseDestroy.get()) {
                    throw new IllegalStateException("backend refused to remove " + id());
                }
                real.destroy();
            }
        };
    }
}
