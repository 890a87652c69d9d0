package dev.stagecraft.core.config;

import dev.stagecraft.api.EgressPolicy;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The typed configuration of one Stagecraft instance, from {@code conf/stagecraft.yaml} plus environment
 * overrides (see {@link ConfigLoader}). Provider and selection sections stay {@link Settings}: each provider
 * and stage reads and checks its own keys.
 *
 * @param owner             written as the owner label on every resource; environments of other owners are left alone
 * @param stateDirectory    where providers keep their files ({@code <state-dir>/<kind>/})
 * @param pluginsDirectory  the folder PF4J loads plugin jars and zips from (absent: class path only)
 * @param auditEnabled      whether every create, exec and destroy is appended to the audit log
 * @param auditPath         the audit log (JSON lines); always written for critical-level environments
 * @param defaultTtl        how long an environment lives when its requirement names no ttl
 * @param idleTimeout       a leased or created environment unused this long is reaped (zero: never)
 * @param reapInterval      how often the reaper looks
 * @param disabledProviders kinds never offered to selection
 * @param pools             warm pools, kept full by a long-running manager (the command line keeps none)
 * @param defaultEgress     the allowlist of a networked requirement that states none ({@code environments.allow-cidrs},
 *                          {@code environments.allow-hosts}; empty: any public address)
 * @param server            the {@code server} section, read and checked by {@code stagecraft serve}
 */
public record StagecraftConfig(String source, String owner, Path stateDirectory, Path pluginsDirectory,
                               boolean auditEnabled, Path auditPath, Duration defaultTtl, Duration idleTimeout,
                               Duration reapInterval, Set<String> disabledProviders, List<PoolSpec> pools,
                               Settings selection, Settings providers, EgressPolicy defaultEgress,
                               Settings server) {
    public StagecraftConfig {
        requireNonNull(source, "source is null");
        requireNonNull(owner, "owner is null");
        requireNonNull(stateDirectory, "stateDirectory is null");
        requireNonNull(auditPath, "auditPath is null");
        requireNonNull(defaultTtl, "defaultTtl is null");
        requireNonNull(idleTimeout, "idleTimeout is null");
        requireNonNull(reapInterval, "reapInterval is null");
        disabledProviders = Set.copyOf(disabledProviders);
        pools = List.copyOf(pools);
        requireNonNull(selection, "selection is null");
        requireNonNull(providers, "providers is null");
        requireNonNull(defaultEgress, "defaultEgress is null");
        requireNonNull(server, "server is null");
    }

    /** {@code requirement} with the configured default allowlist when it asks for network and states none of its own. */
    public EnvironmentRequirement withDefaults(EnvironmentRequirement requirement) {
        if (!requirement.network() || requirement.egress().restricted() || !defaultEgress.restricted()) {
            return requirement;
        }
        EnvironmentRequirement.Builder builder = requirement.toBuilder();
        defaultEgress.allowHosts().forEach(builder::allowHost);
        defaultEgress.allowCidrs().forEach(builder::allowCidr);
        return builder.build();
    }

    /** This configuration with another state folder; an audit log at its default place moves along. */
    public StagecraftConfig withStateDirectory(Path directory) {
        Path audit = auditPath.equals(stateDirectory.resolve("audit.jsonl")) ? directory.resolve("audit.jsonl") : auditPath;
        return new StagecraftConfig(source, owner, directory, pluginsDirectory, auditEnabled, audit, defaultTtl,
                idleTimeout, reapInterval, disabledProviders, pools, selection, providers, defaultEgress, server);
    }

    /** This configuration with another plugins folder. */
    public StagecraftConfig withPluginsDirectory(Path directory) {
        return new StagecraftConfig(source, owner, stateDirectory, directory, auditEnabled, auditPath, defaultTtl,
                idleTimeout, reapInterval, disabledProviders, pools, selection, providers, defaultEgress, server);
    }

    /** The configuration section of one provider kind. */
    public Settings provider(String kind) {
        return providers.section(kind);
    }
}
