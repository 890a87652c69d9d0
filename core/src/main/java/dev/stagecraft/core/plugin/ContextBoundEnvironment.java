package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;

import java.time.Instant;
import java.util.Optional;

/** An environment whose every call runs under its plugin's context class loader. */
final class ContextBoundEnvironment implements ExecutionEnvironment {
    private final ExecutionEnvironment delegate;
    private final ClassLoader loader;

    ContextBoundEnvironment(ExecutionEnvironment delegate, ClassLoader loader) {
        this.delegate = delegate;
        this.loader = loader;
    }

    @Override public String id() { return delegate.id(); }
    @Override public String kind() { return delegate.kind(); }
    @Override public IsolationLevel isolation() { return delegate.isolation(); }
    @Override public Labels labels() { return delegate.labels(); }
    @Override public Instant createdAt() { return delegate.createdAt(); }
    @Override public void recordUse(Instant until) { ContextClassLoader.run(loader, () -> delegate.recordUse(until)); }
    @Override public Optional<Instant> recordedUse() { return ContextClassLoader.call(loader, delegate::recordedUse); }
    @Override public EnvironmentStatus status() { return ContextClassLoader.call(loader, delegate::status); }
    @Override public void start() { ContextClassLoader.run(loader, delegate::start); }
    @Override public void stop() { ContextClassLoader.run(loader, delegate::stop); }
    @Override public void destroy() { ContextClassLoader.run(loader, delegate::destroy); }
    @Override public ExecResult execute(ExecRequest request) { return ContextClassLoader.call(loader, () -> delegate.execute(request)); }

    @Override
    public ExecResult execute(ExecRequest request, OutputListener listener) {
        return ContextClassLoader.call(loader, () -> delegate.execute(request, listener));
    }

    @Override public ResourceUsage usage() { return ContextClassLoader.call(loader, delegate::usage); }
    @Override public void putFile(String path, byte[] content) { ContextClassLoader.run(loader, () -> delegate.putFile(path, content)); }
    @Override public byte[] getFile(String path, long maxBytes) { return ContextClassLoader.call(loader, () -> delegate.getFile(path, maxBytes)); }
}
