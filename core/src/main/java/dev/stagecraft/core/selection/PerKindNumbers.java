package dev.stagecraft.core.selection;

import dev.stagecraft.api.Settings;

import java.util.HashMap;
import java.util.Map;

/** A per-kind override table from configuration, e.g. {@code selection.startup.estimates.sandbox: 1.5s}. */
final class PerKindNumbers {
    private final Map<String, Double> values = new HashMap<>();

    static PerKindNumbers seconds(Settings section) {
        PerKindNumbers table = new PerKindNumbers();
        for (String kind : section.keys()) {
            table.values.put(kind, section.duration(kind, null).toMillis() / 1000.0);
        }
        return table;
    }

    static PerKindNumbers numbers(Settings section) {
        PerKindNumbers table = new PerKindNumbers();
        for (String kind : section.keys()) {
            table.values.put(kind, section.number(kind, 0));
        }
        return table;
    }

    double get(String kind, double fallback) {
        return values.getOrDefault(kind, fallback);
    }

    boolean has(String kind) {
        return values.containsKey(kind);
    }
}
