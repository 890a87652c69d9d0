package dev.stagecraft.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads {@code stagecraft.yaml}, applies environment overrides and validates the result, naming the file,
 * the key and the problem in every error.
 *
 * <p>Overrides: {@code STAGECRAFT_<KEY>} where {@code __} separates levels and {@code _} stands for
 * {@code -}: {@code STAGECRAFT_STATE_DIR=/srv/sc} sets {@code state-dir};
 * {@code STAGECRAFT_PROVIDERS__SANDBOX__TMP_SIZE=128m} sets {@code providers.sandbox.tmp-size}.
 * {@code STAGECRAFT_HOME}, {@code STAGECRAFT_CONFIG}, {@code STAGECRAFT_OPTS} belong to the launcher;
 * {@code STAGECRAFT_SERVER} and {@code STAGECRAFT_API_KEY} to the command line's {@code --server}.
 */
public final class ConfigLoader {
    private static final Set<String> LAUNCHER_VARIABLES = Set.of("STAGECRAFT_HOME", "STAGECRAFT_CONFIG", "STAGECRAFT_OPTS",
            "STAGECRAFT_JAVA", "STAGECRAFT_DEBUG", "STAGECRAFT_SERVER", "STAGECRAFT_API_KEY");
    private static final Map<String, Set<String>> KNOWN = Map.of(
            "", Set.of("owner", "state-dir", "plugins-dir", "audit", "environments", "disabled-providers", "pools", "selection", "providers", "server"),
            "audit", Set.of("enabled", "path"),
            "environments", Set.of("default-ttl", "idle-timeout", "reap-interval", "allow-cidrs", "allow-hosts"));

    private final Path home;
    private final Map<String, String> environment;

    /**
     * @param home        relative paths in the file resolve against this (the distribution's folder)
     * @param environment the process environment to read overrides from
     */
    public ConfigLoader(Path home, Map<String, String> environment) {
        this.home = home;
        this.environment = environment;
    }

    /** Loads {@code file} if it exists (a missing file means "all defaults"), then the overrides. */
    public StagecraftConfig load(Path file) {
        String source = file == null ? "defaults" : file.toString();
        Map<String, Object> tree = file != null && Files.exists(file) ? read(file) : new LinkedHashMap<>();
        Map<String, String> overridden = applyOverrides(tree);
        try {
            return bind(source, tree);
        } catch (StagecraftException e) {
            // A value that came from the environment is not in the file: say which variable set it.
            for (Map.Entry<String, String> override : overridden.entrySet()) {
                if (e.getMessage().startsWith(source + ": " + override.getKey() + ":")) {
                    throw new StagecraftException(e.code(), e.getMessage() + " (set by environment variable "
                            + override.getValue() + ")", e);
                }
            }
            throw e;
        }
    }

    public StagecraftConfig defaults() {
        return load(null);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> read(Path file) {
        try {
            ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
            JsonNode node = mapper.readTree(file.toFile());
            if (node == null || node.isMissingNode() || node.isNull()) {
                // an empty file, or one holding only comments: all defaults
                return new LinkedHashMap<>();
            }
            Object parsed = mapper.treeToValue(node, Object.class);
            if (!(parsed instanceof Map)) {
                throw invalid(file.toString(), "the top level must be a mapping of keys to values");
            }
            return (Map<String, Object>) parsed;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw invalid(file.toString(), "not valid YAML" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid(file.toString(), "cannot be read: " + e.getMessage());
        }
    }

    /** Applies the {@code STAGECRAFT_*} overrides; returns the dotted keys they set, each with its variable. */
    @SuppressWarnings("unchecked")
    private Map<String, String> applyOverrides(Map<String, Object> tree) {
        Map<String, String> applied = new LinkedHashMap<>();
        for (Map.Entry<String, String> variable : new TreeMap<>(environment).entrySet()) {
            String name = variable.getKey();
            if (!name.startsWith("STAGECRAFT_") || LAUNCHER_VARIABLES.contains(name)) {
                continue;
            }
            String[] path = name.substring("STAGECRAFT_".length()).toLowerCase(Locale.ROOT).split("__");
            Map<String, Object> node = tree;
            for (int i = 0; i < path.length - 1; i++) {
                String key = path[i].replace('_', '-');
                Object child = node.get(key);
                if (!(child instanceof Map)) {
                    child = new LinkedHashMap<String, Object>();
                    node.put(key, child);
                }
                node = (Map<String, Object>) child;
            }
            node.put(path[path.length - 1].replace('_', '-'), variable.getValue());
            applied.put(String.join(".", java.util.Arrays.stream(path).map(p -> p.replace('_', '-')).toList()), name);
        }
        return applied;
    }

    private StagecraftConfig bind(String source, Map<String, Object> tree) {
        Settings root = new Settings(source, "", tree);
        checkKnown(root, "");
        Settings audit = root.section("audit");
        checkKnown(audit, "audit");
        Settings environments = root.section("environments");
        checkKnown(environments, "environments");
        Path stateDir = path(root, "state-dir", "/var/lib/stagecraft");
        String owner = root.string("owner", "local");
        if (!owner.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw root.invalid("owner", "'" + owner + "' must be 1-63 letters, digits, '.', '_' or '-'");
        }
        Duration idle = environments.duration("idle-timeout", Duration.ofMinutes(30));
        Duration reap = environments.duration("reap-interval", Duration.ofSeconds(30));
        if (reap.isZero()) {
            throw environments.invalid("reap-interval", "must be positive");
        }
        return new StagecraftConfig(source, owner, stateDir,
                root.has("plugins-dir") ? path(root, "plugins-dir", null) : installedPlugins(),
                audit.bool("enabled", true),
                audit.has("path") ? path(audit, "path", null) : stateDir.resolve("audit.jsonl"),
                environments.duration("default-ttl", Duration.ofHours(1)), idle, reap,
                new HashSet<>(root.strings("disabled-providers", List.of())), pools(root.section("pools")),
                root.section("selection"), root.section("providers"), defaultEgress(environments),
                root.section("server"));
    }

    private static dev.stagecraft.api.EgressPolicy defaultEgress(Settings environments) {
        List<String> hosts = environments.strings("allow-hosts", List.of());
        List<String> cidrs = environments.strings("allow-cidrs", List.of());
        try {
            return new dev.stagecraft.api.EgressPolicy(hosts, cidrs);
        } catch (RuntimeException e) {
            throw environments.invalid(hosts.isEmpty() ? "allow-cidrs" : "allow-hosts/allow-cidrs", e.getMessage());
        }
    }

    /**
     * Without a {@code plugins-dir}, the installation's own {@code plugins} folder when there is one: a user's file
     * that leaves the key out still gets the plugins that came with the distribution.
     */
    private Path installedPlugins() {
        Path plugins = home == null ? null : home.resolve("plugins");
        return plugins != null && Files.isDirectory(plugins) ? plugins : null;
    }

    private static List<PoolSpec> pools(Settings pools) {
        List<PoolSpec> specs = new java.util.ArrayList<>();
        for (String name : pools.keys()) {
            specs.add(PoolSpec.parse(name, pools.section(name)));
        }
        return specs;
    }

    private Path path(Settings settings, String key, String defaultValue) {
        String value = settings.string(key, defaultValue);
        if (value == null || value.isBlank()) {
            throw settings.invalid(key, "must be a path");
        }
        Path path = Path.of(value);
        return path.isAbsolute() || home == null ? path : home.resolve(path).normalize();
    }

    private static void checkKnown(Settings settings, String section) {
        Set<String> known = KNOWN.get(section);
        for (String key : settings.keys()) {
            if (!known.contains(key)) {
                throw settings.invalid(key, "unknown key (known here: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    private static StagecraftException invalid(String source, String problem) {
        return new StagecraftException(ErrorCode.INVALID_CONFIGURATION, source + ": " + problem);
    }
}
