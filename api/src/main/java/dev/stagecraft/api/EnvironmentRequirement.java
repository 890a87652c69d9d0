package dev.stagecraft.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What a caller needs from an environment. The selection pipeline chooses a provider from it; the chosen
 * provider creates the environment from it.
 *
 * @param toolType          free-form tool type ({@code python}, {@code nodejs}, {@code data_analysis}, ...)
 * @param securityLevel     how far the code is trusted; maps to a minimal isolation class
 * @param isolation         an explicit minimal isolation class, stronger than the level's if given
 * @param resources         CPU, memory, disk and GPUs wanted (zero fields: the provider's defaults)
 * @param expectedDuration  how long the work is expected to run; short jobs weigh start-up cost double
 * @param network           whether the code needs network access
 * @param persistentStorage whether the workspace must survive the environment's restarts
 * @param provider          a kind forced by the caller ({@code --provider}), skipping the scoring
 * @param ttl               how long the environment may live before it is reaped; zero: the configured default
 * @param labels            the caller's own labels, copied onto every resource made
 * @param options           provider-specific hints, e.g. {@code image} for containers
 * @param egress            where a networked environment may connect ({@link EgressPolicy#ANY}: any public
 *                          address); an allowlist needs {@code network}
 */
public record EnvironmentRequirement(String toolType, SecurityLevel securityLevel, Optional<IsolationLevel> isolation,
                                     Resources resources, Duration expectedDuration, boolean network,
                                     boolean persistentStorage, Optional<String> provider, Duration ttl,
                                     Map<String, String> labels, Map<String, String> options,
                                     EgressPolicy egress) {
    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");

    public EnvironmentRequirement {
        requireNonNull(toolType, "toolType is null");
        requireNonNull(securityLevel, "securityLevel is null");
        requireNonNull(isolation, "isolation is null");
        requireNonNull(resources, "resources is null");
        requireNonNull(expectedDuration, "expectedDuration is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(ttl, "ttl is null");
        if (toolType.isBlank()) {
            throw StagecraftException.invalidRequirement("tool type must not be blank");
        }
        if (expectedDuration.isNegative()) {
            throw StagecraftException.invalidRequirement("expected duration must not be negative, got " + expectedDuration);
        }
        if (ttl.isNegative()) {
            throw StagecraftException.invalidRequirement("ttl must not be negative, got " + ttl);
        }
        labels = SortedCopy.of(requireNonNull(labels, "labels is null"), "labels");
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!LABEL_KEY.matcher(label.getKey()).matches()) {
                throw StagecraftException.invalidRequirement("label key '" + label.getKey()
                        + "' must be 1-63 characters of letters, digits, '.', '_', '/' or '-'");
            }
            if (label.getValue().length() > 253 || label.getValue().chars().anyMatch(Character::isISOControl)) {
                throw StagecraftException.invalidRequirement("label '" + label.getKey()
                        + "' has a value longer than 253 characters or with control characters");
            }
        }
        options = SortedCopy.of(requireNonNull(options, "options is null"), "options");
        requireNonNull(egress, "egress is null");
        if (egress.restricted() && !network) {
            throw StagecraftException.invalidRequirement("an egress allowlist (" + egress.describe()
                    + ") needs network access: ask for network too");
        }
    }

    /** The shape before {@link #egress} existed: no allowlist. */
    public EnvironmentRequirement(String toolType, SecurityLevel securityLevel, Optional<IsolationLevel> isolation,
                                  Resources resources, Duration expectedDuration, boolean network,
                                  boolean persistentStorage, Optional<String> provider, Duration ttl,
                                  Map<String, String> labels, Map<String, String> options) {
        this(toolType, securityLevel, isolation, resources, expectedDuration, network, persistentStorage, provider, ttl,
                labels, options, EgressPolicy.ANY);
    }

    public boolean gpu() {
        return resources.gpus() > 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.toolType = toolType;
        b.securityLevel = securityLevel;
        b.isolation = isolation.orElse(null);
        b.resources = resources;
        b.expectedDuration = expectedDuration;
        b.network = network;
        b.persistentStorage = persistentStorage;
        b.provider = provider.orElse(null);
        b.ttl = ttl;
        b.labels.putAll(labels);
        b.options.putAll(options);
        b.allowHosts.addAll(egress.allowHosts());
        b.allowCidrs.addAll(egress.allowCidrs());
        return b;
    }

    /** Defaults: tool type {@code generic}, level medium, no stated resources, 30 s expected, no network. */
    public static final class Builder {
        private String toolType = "generic";
        private SecurityLevel securityLevel = SecurityLevel.MEDIUM;
        private IsolationLevel isolation;
        private Resources resources = Resources.NONE;
        private Duration expectedDuration = Duration.ofSeconds(30);
        private boolean network;
        private boolean persistentStorage;
        private String provider;
        private Duration ttl = Duration.ZERO;
        private final Map<String, String> labels = new TreeMap<>();
        private final Map<String, String> options = new TreeMap<>();
        private final java.util.List<String> allowHosts = new java.util.ArrayList<>();
        private final java.util.List<String> allowCidrs = new java.util.ArrayList<>();

        private Builder() {
        }

        public Builder toolType(String value) { this.toolType = value; return this; }
        public Builder securityLevel(SecurityLevel value) { this.securityLevel = value; return this; }
        public Builder isolation(IsolationLevel value) { this.isolation = value; return this; }
        public Builder resources(Resources value) { this.resources = value; return this; }
        public Builder cpus(double value) { this.resources = resources.withCpus(value); return this; }
        public Builder memoryBytes(long value) { this.resources = resources.withMemoryBytes(value); return this; }
        public Builder diskBytes(long value) { this.resources = resources.withDiskBytes(value); return this; }
        public Builder gpus(int value) { this.resources = resources.withGpus(value); return this; }
        public Builder expectedDuration(Duration value) { this.expectedDuration = value; return this; }
        public Builder network(boolean value) { this.network = value; return this; }
        public Builder persistentStorage(boolean value) { this.persistentStorage = value; return this; }
        public Builder provider(String kind) { this.provider = kind; return this; }
        public Builder ttl(Duration value) { this.ttl = value; return this; }
        public Builder label(String key, String value) { this.labels.put(key, value); return this; }
        public Builder option(String key, String value) { this.options.put(key, value); return this; }
        public Builder allowHost(String name) { this.allowHosts.add(name); return this; }
        public Builder allowCidr(String range) { this.allowCidrs.add(range); return this; }

        public EnvironmentRequirement build() {
            return new EnvironmentRequirement(toolType, securityLevel, Optional.ofNullable(isolation), resources,
                    expectedDuration, network, persistentStorage, Optional.ofNullable(provider), ttl, labels, options,
                    new EgressPolicy(allowHosts, allowCidrs));
        }
    }
}
