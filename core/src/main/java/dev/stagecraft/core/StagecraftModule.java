package dev.stagecraft.core;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.stagecraft.api.selection.SelectionFilter;
import dev.stagecraft.api.selection.SelectionScorer;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.manager.AuditLog;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.ProviderRegistry;
import dev.stagecraft.core.plugin.ProviderLoader;
import dev.stagecraft.core.selection.CostScorer;
import dev.stagecraft.core.selection.EfficiencyScorer;
import dev.stagecraft.core.selection.FeatureFilter;
import dev.stagecraft.core.selection.ResourceCeilingFilter;
import dev.stagecraft.core.selection.SecurityLevelFilter;
import dev.stagecraft.core.selection.SelectionPipeline;
import dev.stagecraft.core.selection.StartupScorer;
import dev.stagecraft.core.selection.ToolTypeScorer;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Wires the core: configuration → loaded providers → registry, pipeline, audit → manager. */
final class StagecraftModule extends AbstractModule {
    private final StagecraftConfig config;
    private final ProviderLoader.Loaded loaded;
    private final Clock clock;

    StagecraftModule(StagecraftConfig config, ProviderLoader.Loaded loaded, Clock clock) {
        this.config = config;
        this.loaded = loaded;
        this.clock = clock;
    }

    @Override
    protected void configure() {
        bind(StagecraftConfig.class).toInstance(config);
        bind(ProviderLoader.Loaded.class).toInstance(loaded);
        bind(Clock.class).toInstance(clock);
    }

    @Provides
    @Singleton
    ProviderRegistry registry() {
        return new ProviderRegistry(loaded.providers(), config, clock);
    }

    @Provides
    @Singleton
    SelectionPipeline pipeline() {
        List<SelectionFilter> filters = new ArrayList<>(List.of(new SecurityLevelFilter(), new FeatureFilter(),
                new ResourceCeilingFilter()));
        filters.addAll(loaded.filters());
        List<SelectionScorer> scorers = new ArrayList<>(List.of(new StartupScorer(), new EfficiencyScorer(),
                new CostScorer(), new ToolTypeScorer()));
        scorers.addAll(loaded.scorers());
        return SelectionPipeline.configured(filters, scorers, config.selection());
    }

    @Provides
    @Singleton
    AuditLog audit() {
        return new AuditLog(config.auditPath(), config.auditEnabled(), clock);
    }

    @Provides
    @Singleton
    EnvironmentManager manager(ProviderRegistry registry, SelectionPipeline pipeline, AuditLog audit) {
        return new EnvironmentManager(config, registry, pipeline, audit, clock);
    }
}
