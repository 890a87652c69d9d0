package dev.stagecraft.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus text exposition read line by line: every line that is not blank or a {@code #} comment must be
 * {@code name{label="value",...} value [timestamp]}, or reading fails naming the line.
 */
final class Exposition {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL_VALUE = "\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
    private static final String NUMBER = "[-+]?(?:[0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\\.[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN)";
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=" + LABEL_VALUE
            + ",?)*)\\})? (" + NUMBER + ")(?: -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=(" + LABEL_VALUE + ")");

    /** One sample line: its metric name, labels and value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();

    Exposition(String text) {
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new AssertionError("not an exposition line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    String quoted = label.group(2);
                    labels.put(label.group(1), quoted.substring(1, quoted.length() - 1)
                            .replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
            samples.add(new Sample(sample.group(1), labels, parse(sample.group(3))));
        }
    }

    private static double parse(String number) {
        return switch (number.replace("+", "")) {
            case "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(number);
        };
    }

    List<Sample> samples() {
        return samples;
    }

    /** The value of the one sample of {@code name} with exactly these labels; fails when there is none. */
    double value(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels)).findFirst()
                .map(Sample::value)
                .orElseThrow(() -> new AssertionError("no sample " + name + labels + " among " + samples.stream()
                        .filter(s -> s.name().equals(name)).map(s -> s.labels().toString()).toList()));
    }

    /** Every sample of {@code name}. */
    List<Sample> all(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }
}
