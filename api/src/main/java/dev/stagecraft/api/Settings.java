package dev.stagecraft.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One section of the configuration (a provider's {@code providers.<kind>} or a selection stage's
 * {@code selection.<stage>}), with typed getters whose errors name the file and the key:
 * {@code conf/stagecraft.yaml: providers.sandbox.tmp-size: '12x' is not a size ...}.
 */
public final class Settings {
    private final String source;
    private final String prefix;
    private final Map<String, Object> values;

    public Settings(String source, String prefix, Map<String, ?> values) {
        this.source = requireNonNull(source, "source is null");
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.values = new TreeMap<>(requireNonNull(values, "values is null"));
    }

    public static Settings empty(String prefix) {
        return new Settings("defaults", prefix, Map.of());
    }

    public String prefix() {
        return prefix;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Map<String, Object> asMap() {
        return Map.copyOf(values);
    }

    /** A nested section, e.g. {@code section("images")} of {@code providers.docker}. */
    @SuppressWarnings("unchecked")
    public Settings section(String key) {
        Object value = values.get(key);
        if (value == null) {
            return new Settings(source, path(key), Map.of());
        }
        if (!(value instanceof Map)) {
            throw invalid(key, "must be a mapping of keys to values");
        }
        return new Settings(source, path(key), (Map<String, ?>) value);
    }

    public String string(String key, String defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Map || value instanceof List) {
            throw invalid(key, "must be a single value");
        }
        return value.toString();
    }

    public boolean bool(String key, boolean defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw invalid(key, "'" + value + "' is not true or false");
    }

    public long integer(String key, long defaultValue, long min, long max) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed < min || parsed > max) {
                throw invalid(key, parsed + " is out of range [" + min + ", " + max + "]");
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw invalid(key, "'" + value + "' is not a whole number");
        }
    }

    public double number(String key, double defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            double parsed = Double.parseDouble(value.trim());
            if (Double.isNaN(parsed) || Double.isInfinite(parsed)) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw invalid(key, "'" + value + "' is not a number");
        }
    }

    public long bytes(String key, long defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Quantities.parseBytes(path(key), value);
        } catch (StagecraftException e) {
            throw invalid(key, "'" + value + "' is not a size (e.g. 512m, 2g)");
        }
    }

    public Duration duration(String key, Duration defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Quantities.parseDuration(path(key), value);
        } catch (StagecraftException e) {
            throw invalid(key, "'" + value + "' is not a duration (e.g. 30s, 5m)");
        }
    }

    public List<String> strings(String key, List<String> defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof List)) {
            throw invalid(key, "must be a list");
        }
        List<String> out = new ArrayList<>();
        for (Object item : (List<?>) value) {
            if (item == null || item instanceof Map || item instanceof List) {
                throw invalid(key, "must be a list of plain values");
            }
            out.add(item.toString());
        }
        return List.copyOf(out);
    }

    /** An INVALID_CONFIGURATION error naming the file, the full key and the problem. */
    public StagecraftException invalid(String key, String problem) {
        return new StagecraftException(ErrorCode.INVALID_CONFIGURATION, source + ": " + path(key) + ": " + problem);
    }

    private String path(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }
}
