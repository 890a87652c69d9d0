package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;

import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * JSON bodies into requirements and exec requests. The body is read as a {@link Settings} section, so every bad
 * value is refused in the configuration's own words, naming the field: {@code request body: cpus: 'x' is not a
 * number}.
 */
final class RequestBodies {
    static final Set<String> REQUIREMENT_FIELDS = Set.of("toolType", "security", "isolation", "cpus", "memory", "disk",
            "gpus", "network", "allowHosts", "allowCidrs", "persistent", "expectedDuration", "ttl", "provider", "labels",
            "options");
    static final Set<String> EXEC_FIELDS = Set.of("argv", "stdin", "stdinBase64", "env", "workingDir", "timeout",
            "outputLimit");

    private final ObjectMapper json;

    RequestBodies(ObjectMapper json) {
        this.json = json;
    }

    EnvironmentRequirement requirement(JsonNode body, String where) {
        Settings fields = fields(body, where, REQUIREMENT_FIELDS);
        return checked(() -> {
            EnvironmentRequirement.Builder builder = EnvironmentRequirement.builder()
                    .toolType(fields.string("toolType", "generic"))
                    .securityLevel(parsed(fields, "security", "medium", SecurityLevel::parse))
                    .cpus(fields.number("cpus", 0))
                    .memoryBytes(fields.bytes("memory", 0))
                    .diskBytes(fields.bytes("disk", 0))
                    .gpus((int) fields.integer("gpus", 0, 0, 64))
                    .network(fields.bool("network", false))
                    .persistentStorage(fields.bool("persistent", false))
                    .expectedDuration(fields.duration("expectedDuration", Duration.ofSeconds(30)))
                    .ttl(fields.duration("ttl", Duration.ZERO))
                    .provider(fields.string("provider", null));
            if (fields.has("isolation")) {
                builder.isolation(parsed(fields, "isolation", "", IsolationLevel::parse));
            }
            fields.strings("allowHosts", java.util.List.of()).forEach(builder::allowHost);
            fields.strings("allowCidrs", java.util.List.of()).forEach(builder::allowCidr);
            stringMap(fields, "labels").forEach(builder::label);
            stringMap(fields, "options").forEach(builder::option);
            return builder.build();
        });
    }

    ExecRequest exec(JsonNode body, String where, Set<String> alsoAllowed) {
        Set<String> known = new TreeSet<>(EXEC_FIELDS);
        known.addAll(alsoAllowed);
        Settings fields = fields(body, where, known);
        return checked(() -> {
            java.util.List<String> argv = fields.strings("argv", java.util.List.of());
            if (argv.isEmpty()) {
                throw fields.invalid("argv", "a command is required, e.g. [\"sh\", \"-c\", \"echo hi\"]");
            }
            ExecRequest.Builder builder = ExecRequest.builder(argv)
                    .env(stringMap(fields, "env"))
                    .workingDir(fields.string("workingDir", null))
                    .timeout(fields.duration("timeout", ExecRequest.DEFAULT_TIMEOUT))
                    .outputLimit(fields.bytes("outputLimit", ExecRequest.DEFAULT_OUTPUT_LIMIT));
            if (fields.has("stdin") && fields.has("stdinBase64")) {
                throw fields.invalid("stdinBase64", "give stdin or stdinBase64, not both");
            }
            if (fields.has("stdin")) {
                builder.stdin(fields.string("stdin", ""));
            }
            if (fields.has("stdinBase64")) {
                byte[] stdin = parsed(fields, "stdinBase64", "", Base64.getDecoder()::decode);
                builder.stdin(stdin);
            }
            return builder.build();
        });
    }

    /** The body's fields as a {@link Settings} section; 400 for a body that is not an object or has an unknown field. */
    @SuppressWarnings("unchecked")
    Settings fields(JsonNode body, String where, Set<String> known) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(where + ": must be a JSON object");
        }
        Settings fields = new Settings(where, "", json.convertValue(body, Map.class));
        for (String key : fields.keys()) {
            if (!known.contains(key)) {
                throw ApiException.badRequest(where + ": " + key + ": unknown field (known: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
        return fields;
    }

    static Map<String, String> stringMap(Settings fields, String key) {
        Settings section = fields.section(key);
        Map<String, String> values = new java.util.TreeMap<>();
        for (String name : section.keys()) {
            values.put(name, section.string(name, ""));
        }
        return values;
    }

    /** A value read by {@code parse}, its failure worded as a bad field. */
    private static <T> T parsed(Settings fields, String key, String defaultValue, Function<String, T> parse) {
        String text = fields.string(key, defaultValue);
        try {
            return parse.apply(text);
        } catch (RuntimeException e) {
            throw fields.invalid(key, e.getMessage());
        }
    }

    /** Runs {@code build}, answering every refusal (the field's, or the requirement's own checks) as 400. */
    static <T> T checked(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (ApiException e) {
            throw e;
        } catch (StagecraftException e) {
            throw new ApiException(400, ErrorCode.INVALID_REQUIREMENT, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
