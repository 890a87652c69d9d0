package dev.stagecraft.core;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.manager.EnvironmentListener;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.ProviderRegistry;
import dev.stagecraft.core.plugin.PluginStatus;
import dev.stagecraft.core.plugin.ProviderLoader;
import dev.stagecraft.core.selection.Selection;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The embedding entry point. {@code Stagecraft.builder().build()} finds providers on the class path (and in a
 * plugins folder when one is configured), reconciles with the backends and hands out environments:
 *
 * <pre>{@code
 * try (Stagecraft stagecraft = Stagecraft.builder().build();
 *      Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {
 *     ExecResult result = lease.execute(ExecRequest.of("sh", "-c", "echo hi"));
 * }
 * }</pre>
 */
public final class Stagecraft implements AutoCloseable {
    private final StagecraftConfig config;
    private final ProviderLoader.Loaded loaded;
    private final ProviderRegistry registry;
    private final EnvironmentManager manager;

    private Stagecraft(StagecraftConfig config, ProviderLoader.Loaded loaded, Injector injector) {
        this.config = config;
        this.loaded = loaded;
        this.registry = injector.getInstance(ProviderRegistry.class);
        this.manager = injector.getInstance(EnvironmentManager.class);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The core's version, which plugins' {@code Plugin-Requires} is checked against. */
    public static String version() {
        Properties properties = new Properties();
        try (InputStream in = Stagecraft.class.getResourceAsStream("stagecraft-core.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty("version", "0.0.0");
    }

    public StagecraftConfig config() {
        return config;
    }

    public EnvironmentManager manager() {
        return manager;
    }

    public Selection select(EnvironmentRequirement requirement) {
        return manager.select(requirement);
    }

    /** What happened to each file in the plugins folder. */
    public List<PluginStatus> plugins() {
        return loaded.plugins();
    }

    /** Plugin and provider problems found while loading, one line each. */
    public List<String> problems() {
        return loaded.problems();
    }

    /** What an installed kind can do, without probing it. */
    public Optional<ProviderCapabilities> capabilities(String kind) {
        return registry.entry(kind).flatMap(entry -> {
            try {
                return Optional.of(entry.provider().describe());
            } catch (RuntimeException | LinkageError e) {
                return Optional.empty();
            }
        });
    }

    /** Every installed provider with a fresh probe. */
    public List<ProviderReport> providers() {
        List<ProviderReport> reports = new ArrayList<>();
        for (ProviderRegistry.Entry entry : registry.entries()) {
            Optional<ProviderCapabilities> capabilities;
            try {
                capabilities = Optional.of(entry.provider().describe());
            } catch (RuntimeException | LinkageError e) {
                capabilities = Optional.empty();
            }
            String version;
            try {
                version = entry.provider().version();
            } catch (RuntimeException | LinkageError e) {
                version = "unknown";
            }
            reports.add(new ProviderReport(entry.provider().kind(), version, entry.provider().origin(),
                    registry.health(entry, true), capabilities));
        }
        return reports;
    }

    @Override
    public void close() {
        manager.close();
        registry.close();
    }

    /** Where configuration and plugins come from. Everything is optional. */
    public static final class Builder {
        private Path home;
        private Path configFile;
        private Path pluginsDirectory;
        private Path stateDirectory;
        private StagecraftConfig config;
        private Map<String, String> environment = System.getenv();
        private boolean background = true;
        private boolean reconcileAtStart = true;
        private Clock clock = Clock.systemUTC();
        private final List<EnvironmentListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /** The distribution folder: relative paths in the configuration resolve against it. */
        public Builder home(Path value) { this.home = value; return this; }
        /** A {@code stagecraft.yaml}; when absent, defaults plus environment overrides. */
        public Builder configFile(Path value) { this.configFile = value; return this; }
        /** Overrides the configuration's {@code plugins-dir}. */
        public Builder pluginsDirectory(Path value) { this.pluginsDirectory = value; return this; }
        /** Overrides the configuration's {@code state-dir}. */
        public Builder stateDirectory(Path value) { this.stateDirectory = value; return this; }
        /** Uses this configuration as it is, ignoring files and overrides. */
        public Builder config(StagecraftConfig value) { this.config = value; return this; }
        /** The variables {@code STAGECRAFT_*} overrides are read from (default: the process environment). */
        public Builder environment(Map<String, String> value) { this.environment = value; return this; }
        /**
         * Whether background threads reap expired and idle environments and keep the configured warm pools full
         * (default true). A short-lived process, such as one command-line call, passes false.
         */
        public Builder background(boolean value) { this.background = value; return this; }
        /**
         * Whether every backend is reconciled at start (default true). False: each kind is reconciled when first
         * used, so a one-command process talks only to the backend it uses.
         */
        public Builder reconcileAtStart(boolean value) { this.reconcileAtStart = value; return this; }
        public Builder clock(Clock value) { this.clock = value; return this; }
        public Builder listener(EnvironmentListener value) { this.listeners.add(value); return this; }

        public Stagecraft build() {
            StagecraftConfig effective = config != null ? config : new ConfigLoader(home, environment).load(configFile);
            if (stateDirectory != null) {
                effective = effective.withStateDirectory(stateDirectory);
            }
            if (pluginsDirectory != null) {
                effective = effective.withPluginsDirectory(pluginsDirectory);
            }
            ProviderLoader.Loaded loaded = new ProviderLoader(version(), Stagecraft.class.getClassLoader())
                    .load(effective.pluginsDirectory(), effective.stateDirectory().resolve("plugin-cache"));
            Injector injector = Guice.createInjector(new StagecraftModule(effective, loaded, clock));
            Stagecraft stagecraft = new Stagecraft(effective, loaded, injector);
            listeners.forEach(stagecraft.manager::addListener);
            stagecraft.manager.start(background, reconcileAtStart);
            return stagecraft;
        }
    }
}
