package dev.stagecraft.api;

import java.time.Duration;
import java.util.Locale;

/** Parsing of the human quantities used in flags and configuration: {@code 512m}, {@code 2g}, {@code 30s}. */
public final class Quantities {
    private Quantities() {
    }

    /** Bytes from {@code 123}, {@code 64k}, {@code 512m}, {@code 2g}, {@code 1t} (binary units, optional "b"/"ib"). */
    public static long parseBytes(String what, String text) {
        String s = normalized(text);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (last) {
            case 'k': unit = 1L << 10; break;
            case 'm': unit = 1L << 20; break;
            case 'g': unit = 1L << 30; break;
            case 't': unit = 1L << 40; break;
            default: break;
        }
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            double value = Double.parseDouble(digits);
            if (!digits.matches("[0-9]+(\\.[0-9]+)?") || value * unit > Long.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (long) Math.ceil(value * unit);
        } catch (NumberFormatException e) {
            throw StagecraftException.invalidRequirement(what + ": '" + text
                    + "' is not a size (use a number with an optional unit k, m, g or t, e.g. 512m)");
        }
    }

    /** A duration from {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or a bare number of seconds. */
    public static Duration parseDuration(String what, String text) {
        String s = normalized(text);
        try {
            if (s.matches("[0-9]+(\\.[0-9]+)?")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
            }
            if (s.matches("[0-9]+(\\.[0-9]+)?ms")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 2))));
            }
            if (s.matches("[0-9]+(\\.[0-9]+)?[smhd]")) {
                double value = Double.parseDouble(s.substring(0, s.length() - 1));
                long unitMillis;
                switch (s.charAt(s.length() - 1)) {
                    case 's': unitMillis = 1_000L; break;
                    case 'm': unitMillis = 60_000L; break;
                    case 'h': unitMillis = 3_600_000L; break;
                    default: unitMillis = 86_400_000L; break;
                }
                return Duration.ofMillis(Math.round(value * unitMillis));
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // fall through to the one clear message below
        }
        throw StagecraftException.invalidRequirement(what + ": '" + text
                + "' is not a duration (use a number with a unit ms, s, m, h or d, e.g. 30s)");
    }

    /** {@code 512m}-style rendering for messages and JSON. */
    public static String formatBytes(long bytes) {
        String[] units = {"", "k", "m", "g", "t"};
        int i = 0;
        long value = bytes;
        while (i < units.length - 1 && value >= 1024 && value % 1024 == 0) {
            value /= 1024;
            i++;
        }
        return value + units[i];
    }

    private static String normalized(String text) {
        return text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    }
}
