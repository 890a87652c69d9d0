package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Resources;

import java.util.List;

/**
 * A provider whose every call, and every call on the environments it returns, runs with the thread-context
 * class loader set to the provider's own: libraries inside a plugin that use {@code ServiceLoader.load(type)}
 * then see the plugin's classes.
 */
public final class ContextBoundProvider implements EnvironmentProvider {
    private final EnvironmentProvider delegate;
    private final ClassLoader loader;
    private final String origin;
    private final String pluginVersion;

    /**
     * @param pluginVersion the version from the plugin's descriptor, used when the provider cannot tell its
     *                      own (classes unpacked from a zip carry no manifest); null on the class path
     */
    ContextBoundProvider(EnvironmentProvider delegate, String origin, String pluginVersion) {
        this.delegate = delegate;
        this.loader = delegate.getClass().getClassLoader();
        this.origin = origin;
        this.pluginVersion = pluginVersion;
    }

    /** Where it came from: {@code plugin sandbox 0.1.0 (plugins/sandbox-0.1.0.zip)} or {@code class path}. */
    public String origin() {
        return origin;
    }

    public String implementationClass() {
        return delegate.getClass().getName();
    }

    @Override public String kind() { return delegate.kind(); }
    @Override
    public String version() {
        String own = ContextClassLoader.call(loader, delegate::version);
        return "unknown".equals(own) && pluginVersion != null ? pluginVersion : own;
    }
    @Override public void initialize(ProviderContext context) { ContextClassLoader.run(loader, () -> delegate.initialize(context)); }
    @Override public ProviderCapabilities describe() { return ContextClassLoader.call(loader, delegate::describe); }
    @Override public ProviderHealth probe() { return ContextClassLoader.call(loader, delegate::probe); }
    @Override public Resources limitsFor(EnvironmentRequirement requirement) { return ContextClassLoader.call(loader, () -> delegate.limitsFor(requirement)); }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        return new ContextBoundEnvironment(ContextClassLoader.call(loader, () -> delegate.create(spec)), loader);
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        return ContextClassLoader.call(loader, delegate::discover).stream()
                .map(env -> (ExecutionEnvironment) new ContextBoundEnvironment(env, loader)).toList();
    }

    @Override
    public void close() {
        ContextClassLoader.run(loader, delegate::close);
    }
}
