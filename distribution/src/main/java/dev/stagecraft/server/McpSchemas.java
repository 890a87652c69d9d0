package dev.stagecraft.server;

import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.SecurityLevel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON schemas of the MCP tools' arguments, built from the same field names the HTTP API reads. */
final class McpSchemas {
    private McpSchemas() {
    }

    /** An object schema with these properties; unknown properties are refused (as the HTTP API refuses them). */
    static Map<String, Object> object(Map<String, Object> properties, String... required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (required.length > 0) {
            schema.put("required", List.of(required));
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    static Map<String, Object> typed(String type, String description) {
        return Map.of("type", type, "description", description);
    }

    static Map<String, Object> oneOf(List<String> values, String description) {
        return Map.of("type", "string", "enum", values, "description", description);
    }

    static Map<String, Object> strings(String description) {
        return Map.of("type", "array", "items", Map.of("type", "string"), "description", description);
    }

    static Map<String, Object> stringMap(String description) {
        return Map.of("type", "object", "additionalProperties", Map.of("type", "string"), "description", description);
    }

    static final Map<String, Object> SECURITY = oneOf(Arrays.stream(SecurityLevel.values()).map(SecurityLevel::label).toList(),
            "How untrusted the work is; the higher, the stronger the isolation chosen (default medium).");
    static final Map<String, Object> TIMEOUT = typed("string", "Kill the command after this long, e.g. 30s or 5m (default 30s).");
    static final Map<String, Object> STDIN = typed("string", "Text fed to the command's standard input.");
    static final Map<String, Object> ID = typed("string", "The environment's id, e.g. sc-0123456789.");
    static final Map<String, Object> PATH = typed("string", "A path inside the environment's workspace, e.g. src/main.py.");

    /** The requirement's fields, as {@code POST /v1/environments} takes them (docs/server.md). */
    static Map<String, Object> requirement() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("security", SECURITY);
        properties.put("toolType", typed("string", "What runs, e.g. python, node, generic: some kinds prefer some tools."));
        properties.put("isolation", oneOf(Arrays.stream(IsolationLevel.values()).map(IsolationLevel::label).toList(),
                "The least isolation wanted; left out, the security level decides."));
        properties.put("cpus", typed("number", "CPUs, e.g. 1 or 0.5."));
        properties.put("memory", typed("string", "Memory, e.g. 512m or 2g."));
        properties.put("disk", typed("string", "Workspace size, e.g. 1g."));
        properties.put("gpus", typed("integer", "GPUs."));
        properties.put("network", typed("boolean", "Whether the environment may reach the network (default false)."));
        properties.put("allowHosts", strings("Host names a networked environment may reach."));
        properties.put("allowCidrs", strings("Address ranges a networked environment may reach, e.g. 10.1.0.0/16."));
        properties.put("persistent", typed("boolean", "Whether the workspace must survive a stop."));
        properties.put("expectedDuration", typed("string", "How long the work should take, e.g. 30s."));
        properties.put("ttl", typed("string", "Destroy the environment after this long, e.g. 30m."));
        properties.put("provider", typed("string", "Insist on one environment kind, e.g. sandbox or docker."));
        properties.put("labels", stringMap("Labels to find the environment by later."));
        properties.put("options", stringMap("Options of the chosen kind."));
        return properties;
    }
}
