package dev.stagecraft.api;

import java.util.List;

/**
 * One environment kind ({@code sandbox}, {@code docker}, {@code kvm}, ...). Found through
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/dev.stagecraft.api.EnvironmentProvider}
 * entry, and {@code provides} in module-info) whether it sits on the class path, the module path or in a
 * plugin jar. It must have a public no-argument constructor and do nothing expensive in it.
 *
 * <p>Call order: {@link #initialize} once, then any of the rest from any thread, then {@link #close}.
 */
public interface EnvironmentProvider extends AutoCloseable {
    /** The kind, lowercase: what {@code --provider} and the configuration's {@code providers.<kind>} name. */
    String kind();

    /** This provider's own version (a plugin's version is independent of the core's). */
    default String version() {
        String version = getClass().getPackage().getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    /** Receives the owner name, a state directory and the provider's configuration section. */
    default void initialize(ProviderContext context) {
    }

    /** What this provider can do on this host, as data. Cheap; may reflect what {@link #probe()} found. */
    ProviderCapabilities describe();

    /**
     * Checks that the backend is usable now (binaries present, daemon answering, kernel features enabled).
     * Never throws: an unusable backend is a result with a reason and remedies a person can act on.
     */
    ProviderHealth probe();

    /**
     * Creates an environment and brings it to READY. Every resource made carries {@code spec.labels()}.
     * On failure everything made so far is removed and a {@link ProvisioningException} says why.
     */
    ExecutionEnvironment create(EnvironmentSpec spec);

    /**
     * The CPUs, memory and GPUs an environment made for {@code requirement} would be held to: the requirement's
     * own amounts, and this provider's defaults where it states none (a VM's whole size where it takes more than the
     * commands' share); disk as the requirement states it. Zero fields: no limit this provider knows of. Cheap and
     * never throws; a server charges a tenant's quota with it before the environment exists. The default is the
     * requirement's own amounts.
     */
    default Resources limitsFor(EnvironmentRequirement requirement) {
        return requirement.resources();
    }

    /**
     * Every environment of this kind that carries Stagecraft labels and still exists on the backend,
     * whoever made it: the manager adopts its own and reaps orphans. Must work in a fresh process.
     */
    List<ExecutionEnvironment> discover();

    /** Releases the provider's own resources (clients, threads). Environments are left as they are. */
    @Override
    default void close() {
    }
}
