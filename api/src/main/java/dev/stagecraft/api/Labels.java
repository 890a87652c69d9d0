package dev.stagecraft.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The labels every resource a provider makes must carry (container labels, VM metadata, cgroup or directory
 * names plus a label file...). They are what lets a restarted manager find, adopt or reap what a dead one
 * left: {@link #OWNER}, {@link #ENVIRONMENT_ID}, {@link #CREATED_AT} and {@link #TTL} are always present.
 */
public record Labels(Map<String, String> values) {
    public static final String PREFIX = "dev.stagecraft.";
    public static final String OWNER = PREFIX + "owner";
    public static final String ENVIRONMENT_ID = PREFIX + "environment-id";
    public static final String CREATED_AT = PREFIX + "created-at";
    public static final String TTL = PREFIX + "ttl";
    public static final String KIND = PREFIX + "kind";
    public static final String SECURITY_LEVEL = PREFIX + "security-level";
    /** Prefix under which the caller's own {@code --label k=v} pairs are stored. */
    public static final String USER_PREFIX = PREFIX + "label.";

    public Labels {
        values = SortedCopy.of(requireNonNull(values, "values is null"), "labels");
    }

    public static Labels of(String owner, String environmentId, Instant createdAt, Duration ttl) {
        Map<String, String> map = new TreeMap<>();
        map.put(OWNER, requireNonNull(owner, "owner is null"));
        map.put(ENVIRONMENT_ID, requireNonNull(environmentId, "environmentId is null"));
        map.put(CREATED_AT, requireNonNull(createdAt, "createdAt is null").toString());
        map.put(TTL, requireNonNull(ttl, "ttl is null").toString());
        return new Labels(map);
    }

    public Labels with(String key, String value) {
        Map<String, String> map = new TreeMap<>(values);
        map.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
        return new Labels(map);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String owner() {
        return values.getOrDefault(OWNER, "");
    }

    public String environmentId() {
        return values.getOrDefault(ENVIRONMENT_ID, "");
    }

    public Instant createdAt() {
        return get(CREATED_AT).map(Instant::parse).orElse(Instant.EPOCH);
    }

    public Duration ttl() {
        return get(TTL).map(Duration::parse).orElse(Duration.ZERO);
    }

    /** The caller's own labels, without {@link #USER_PREFIX}. */
    public Map<String, String> userLabels() {
        Map<String, String> map = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(USER_PREFIX)) {
                map.put(k.substring(USER_PREFIX.length()), v);
            }
        });
        return map;
    }

    /** Whether a resource carrying these labels was made by Stagecraft at all. */
    public boolean isStagecraft() {
        return values.containsKey(OWNER) && values.containsKey(ENVIRONMENT_ID);
    }
}
