package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.StagecraftException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The requirement options that add objects to an environment, read and checked before anything is made (a bad one
 * fails with one line naming it):
 * <ul>
 *   <li>{@value #PORTS}: a comma-separated list of TCP ports the tool listens on ({@code 8080} or {@code 8080,9000}),
 *       each 1-65535, at most {@value #MAX_PORTS}, none twice. The container declares them, a ClusterIP Service of
 *       the pod's name forwards each to the pod, and the NetworkPolicy lets traffic in on those ports alone.</li>
 *   <li>{@value #CONFIG_PREFIX}{@code <key>}: one entry each of an immutable ConfigMap of the pod's name, mounted
 *       read-only at {@value #CONFIG_DIR} (one file per key). A key is what Kubernetes allows a ConfigMap key to be
 *       (at most 253 letters, digits, '-', '_' and '.'; not '.', and not starting with '..'), and keys and values
 *       together hold at most {@value #MAX_CONFIG_BYTES} bytes, a ConfigMap's limit.</li>
 * </ul>
 *
 * @param ports  the exposed ports, in the order given; empty: no Service
 * @param config the config data by key, in key order; empty: no ConfigMap
 */
record PodOptions(List<Integer> ports, Map<String, String> config) {
    static final String PORTS = "ports";
    static final String CONFIG_PREFIX = "config.";
    static final String CONFIG_DIR = "/config";
    static final int MAX_PORTS = 16;
    static final int MAX_CONFIG_BYTES = 1 << 20;
    private static final int MAX_KEY_LENGTH = 253;

    PodOptions {
        ports = List.copyOf(ports);
        config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
    }

    /** The options of {@code requirement}; throws INVALID_REQUIREMENT, one line naming the option, for a bad one. */
    static PodOptions of(EnvironmentRequirement requirement) {
        Map<String, String> options = requirement.options();
        List<Integer> ports = options.containsKey(PORTS) ? ports(options.get(PORTS)) : List.of();
        Map<String, String> config = new LinkedHashMap<>();
        long bytes = 0;
        for (Map.Entry<String, String> option : options.entrySet()) { // key order: the same option fails every time
            if (!option.getKey().startsWith(CONFIG_PREFIX)) {
                continue;
            }
            String key = option.getKey().substring(CONFIG_PREFIX.length());
            checkKey(option.getKey(), key);
            bytes += key.length() + option.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_CONFIG_BYTES) {
                throw bad(option.getKey(), "the config data come to more than " + MAX_CONFIG_BYTES
                        + " bytes (1 MiB, what a ConfigMap holds) with this entry");
            }
            config.put(key, option.getValue());
        }
        return new PodOptions(ports, config);
    }

    boolean exposed() {
        return !ports.isEmpty();
    }

    boolean hasConfig() {
        return !config.isEmpty();
    }

    /** The name of the container port (and Service port) of {@code port}: at most 15 characters, as Kubernetes wants. */
    static String portName(int port) {
        return "p" + port;
    }

    private static List<Integer> ports(String value) {
        String[] parts = value.split(",", -1);
        if (parts.length > MAX_PORTS) {
            throw bad(PORTS, parts.length + " ports, at most " + MAX_PORTS);
        }
        List<Integer> ports = new ArrayList<>();
        for (String part : parts) {
            String text = part.strip();
            int port = text.matches("[0-9]{1,5}") ? Integer.parseInt(text) : 0;
            if (port < 1 || port > 65535) {
                throw bad(PORTS, "'" + text + "' is not a TCP port (1-65535); write ports=8080 or ports=8080,9000");
            }
            if (ports.contains(port)) {
                throw bad(PORTS, "port " + port + " is listed twice");
            }
            ports.add(port);
        }
        return ports;
    }

    private static void checkKey(String option, String key) {
        if (key.length() > MAX_KEY_LENGTH) {
            throw bad(option, "the key is " + key.length() + " characters long, at most " + MAX_KEY_LENGTH);
        }
        if (!key.matches("[-._a-zA-Z0-9]+")) {
            throw bad(option, "the key '" + key + "' must be letters, digits, '-', '_' and '.' (it becomes a file name in "
                    + CONFIG_DIR + ")");
        }
        if (key.equals(".") || key.startsWith("..")) {
            throw bad(option, "the key must not be '.' or start with '..'");
        }
    }

    /** One line: control characters (a key or port with a newline) shown as '?', a long option name cut. */
    private static StagecraftException bad(String option, String why) {
        String name = option.length() > 80 ? option.substring(0, 80) + "..." : option;
        return StagecraftException.invalidRequirement(("option " + name + ": " + why).replaceAll("\\p{Cntrl}", "?"));
    }
}
