package dev.stagecraft.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How far the caller trusts the code it will run. Higher levels demand stronger isolation. */
public enum SecurityLevel {
    LOW, MEDIUM, HIGH, CRITICAL;

    /** Parses {@code low|medium|high|critical} in any case, or fails with a message naming the choices. */
    public static SecurityLevel parse(String text) {
        for (SecurityLevel level : values()) {
            if (level.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return level;
            }
        }
        throw StagecraftException.invalidRequirement("unknown security level '" + text + "' (expected one of "
                + Arrays.stream(values()).map(l -> l.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ")");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
