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

/**
 * The real sandbox provider with its environments seen through {@link #wrap}: the base of the test backends that
 * misbehave or keep records on purpose.
 */
abstract class SandboxWrapper implements EnvironmentProvider {
    final SandboxProvider sandbox = new SandboxProvider();

    /** The environment as the manager should see it. */
    abstract ExecutionEnvironment wrap(ExecutionEnvironment real);

    @Override public String kind() { return sandbox.kind(); }
    @Override public void initialize(ProviderContext context) { sandbox.initialize(context); }
    @Override public ProviderCapabilities describe() { return sandbox.describe(); }
    @Override public ProviderHealth probe() { return sandbox.probe(); }
    @Override public void close() { sandbox.close(); }
    @Override public ExecutionEnvironment create(EnvironmentSpec spec) { return wrap(sandbox.create(spec)); }
    @Override public List<ExecutionEnvironment> discover() { return sandbox.discover().stream().map(this::wrap).toList(); }

    /** Passes every call on to the real environment; subclasses change what they test. */
    static class Passing implements ExecutionEnvironment {
        final ExecutionEnvironment real;

        Passing(ExecutionEnvironment real) {
            this.real = real;
        }

        @Override public String id() { return real.id(); }
        @Override public String kind() { return real.kind(); }
        @Override public IsolationLevel isolation() { return real.isolation(); }
        @Override public Labels labels() { return real.labels(); }
        @Override public EnvironmentStatus status() { return real.status(); }
        @Override public void start() { real.start(); }
        @Override public void stop() { real.stop(); }
        @Override public void destroy() { real.destroy(); }
        @Override public ExecResult execute(ExecRequest request) { return real.execute(request); }
        @Override public ResourceUsage usage() { return real.usage(); }
        @Override public void putFile(String path, byte[] content) { real.putFile(path, content); }
        @Override public byte[] getFile(String path, long maxBytes) { return real.getFile(path, maxBytes); }
    }
}
