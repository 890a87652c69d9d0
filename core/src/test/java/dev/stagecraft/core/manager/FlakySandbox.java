package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.sandbox.SandboxProvider;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real sandbox with a backend that misbehaves on purpose: its {@code discover()} fails the first
 * {@code discoverFailures} times, and while {@link #refuseDestroy} is set, destroying what it discovered fails.
 */
final class FlakySandbox implements EnvironmentProvider {
    private final SandboxProvider sandbox = new SandboxProvider();
    private final AtomicInteger discoverFailures;
    final AtomicBoolean refuseDestroy = new AtomicBoolean();

    FlakySandbox(int discoverFailures) {
        this.discoverFailures = new AtomicInteger(discoverFailures);
    }

    @Override public String kind() { return sandbox.kind(); }
    @Override public void initialize(ProviderContext context) { sandbox.initialize(context); }
    @Override public ProviderCapabilities describe() { return sandbox.describe(); }
    @Override public ProviderHealth probe() { return sandbox.probe(); }
    @Override public ExecutionEnvironment create(EnvironmentSpec spec) { return sandbox.create(spec); }
    @Override public void close() { sandbox.close(); }

    @Override
    public List<ExecutionEnvironment> discover() {
        if (discoverFailures.getAndDecrement() > 0) {
            throw new IllegalStateException("backend hiccup");
        }
        return sandbox.discover().stream().<ExecutionEnvironment>map(Refusing::new).toList();
    }

    /** A discovered environment whose destroy fails while the provider refuses. */
    private final class Refusing implements ExecutionEnvironment {
        private final ExecutionEnvironment real;

        Refusing(ExecutionEnvironment real) {
            this.real = real;
        }

        @Override public String id() { return real.id(); }
        @Override public String kind() { return real.kind(); }
        @Override public IsolationLevel isolation() { return real.isolation(); }
        @Override public Labels labels() { return real.labels(); }
        @Override public EnvironmentStatus status() { return real.status(); }
        @Override public void start() { real.start(); }
        @Override public void stop() { real.stop(); }
        @Override public ExecResult execute(ExecRequest request) { return real.execute(request); }
        @Override public ResourceUsage usage() { return real.usage(); }
        @Override public void putFile(String path, byte[] content) { real.putFile(path, content); }
        @Override public byte[] getFile(String path, long maxBytes) { return real.getFile(path, maxBytes); }

        @Override
        public void destroy() {
            if (refuseDestroy.get()) {
                throw new IllegalStateException("backend refused to remove " + id());
            }
            real.destroy();
        }
    }
}
