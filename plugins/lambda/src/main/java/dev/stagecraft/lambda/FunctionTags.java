package dev.stagecraft.lambda;

import dev.stagecraft.api.Labels;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An environment's labels as the function's tags, under the same keys every kind uses ({@code dev.stagecraft.owner},
 * {@code dev.stagecraft.environment-id}, ...). A tag value holds only letters, digits, spaces and {@code _.:/=+-@};
 * a label value with anything else (or one that starts with the marker) is stored as {@code b64:} and its base64.
 * {@link #STOPPED} marks a stopped environment and is no label.
 */
final class FunctionTags {
    static final String STOPPED = Labels.PREFIX + "lambda-stopped";
    private static final String ENCODED = "b64:";
    private static final Pattern PLAIN = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{0,256}");

    private FunctionTags() {
    }

    static Map<String, String> of(Labels labels) {
        Map<String, String> tags = new TreeMap<>();
        labels.values().forEach((key, value) -> tags.put(key, encode(value)));
        return tags;
    }

    /** The labels these tags carry (tags of other tools and {@link #STOPPED} left out). */
    static Labels labels(Map<String, String> tags) {
        Map<String, String> values = new TreeMap<>();
        tags.forEach((key, value) -> {
            if (key.startsWith(Labels.PREFIX) && !key.equals(STOPPED)) {
                values.put(key, decode(value));
            }
        });
        return new Labels(values);
    }

    static boolean stopped(Map<String, String> tags) {
        return "true".equals(tags.get(STOPPED));
    }

    static String encode(String value) {
        if (PLAIN.matcher(value).matches() && !value.startsWith(ENCODED)) {
            return value;
        }
        return ENCODED + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String value) {
        if (!value.startsWith(ENCODED)) {
            return value;
        }
        try {
            return new String(Base64.getDecoder().decode(value.substring(ENCODED.length())), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return value;
        }
    }
}
