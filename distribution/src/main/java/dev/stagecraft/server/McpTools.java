package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.cli.Json;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.selection.Selection;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

import static dev.stagecraft.server.McpSchemas.ID;
import static dev.stagecraft.server.McpSchemas.PATH;
import static dev.stagecraft.server.McpSchemas.SECURITY;
import static dev.stagecraft.server.McpSchemas.STDIN;
import static dev.stagecraft.server.McpSchemas.TIMEOUT;
import static dev.stagecraft.server.McpSchemas.object;
import static dev.stagecraft.server.McpSchemas.typed;

/**
 * The MCP tools, one transport-free definition each: a tool and what it does for a tenant with its arguments. They
 * go through the same {@link Tenants} and {@link RequestBodies} as the HTTP API, so a tenant's environments, quota
 * and the wording of a bad argument are the same on every front.
 */
final class McpTools {
    /** One tool: its description and schema, and its call for a caller; critical-level work goes to {@code audit}. */
    record Definition(Tool tool, Handler handler, AuditTrail audit) {
        /**
         * Runs the tool; every refusal or failure becomes an error result of one line, never an exception. A command's
         * output also goes to {@code progress}, where the client asked for progress (else null).
         */
        CallToolResult call(Caller caller, Map<String, Object> arguments, McpProgress progress) {
            ToolCall call = new ToolCall(caller, new AuditRecord(), progress);
            CallToolResult result;
            try {
                result = handler.call(call, arguments == null ? Map.of() : arguments);
            } catch (StagecraftException e) {
                call.audit().failed(e.code());
                result = McpResults.error(e);
            } catch (RuntimeException e) {
                call.audit().failed(ErrorCode.INTERNAL);
                result = McpResults.error(new StagecraftException(ErrorCode.INTERNAL, "internal error: "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())));
            }
            audit.write(caller, Map.of("tool", tool.name()), call.audit(), null);
            return result;
        }
    }

    /** Who calls a tool, the record of what it did (for the audit of critical-level work), and where progress goes. */
    record ToolCall(Caller caller, AuditRecord audit, McpProgress progress) {
        String tenant() {
            return caller.tenant();
        }

        /** Runs a command, its output also to the call's progress where the client asked for it. */
        ExecResult run(ExecRequest request, Function<OutputListener, ExecResult> streamed, Supplier<ExecResult> buffered) {
            return audit.command(() -> {
                if (progress == null) {
                    return buffered.get();
                }
                KeptOutput kept = new KeptOutput(progress, request.outputLimit());
                return kept.into(streamed.apply(kept));
            });
        }
    }

    interface Handler {
        CallToolResult call(ToolCall call, Map<String, Object> arguments);
    }

    /** {@code run_code}'s languages: the interpreter and the flag that takes a program as one argument. */
    static final Map<String, List<String>> LANGUAGES = languages();

    private final EnvironmentManager manager;
    private final Tenants tenants;
    private final RequestBodies bodies;
    private final ServerSettings settings;
    private final AuditTrail audit;
    private final ObjectMapper json = new ObjectMapper();

    McpTools(EnvironmentManager manager, Tenants tenants, RequestBodies bodies, ServerSettings settings, AuditTrail audit) {
        this.manager = manager;
        this.tenants = tenants;
        this.bodies = bodies;
        this.settings = settings;
        this.audit = audit;
    }

    List<Definition> all() {
        return List.of(runCode(), createEnvironment(), exec(), destroyEnvironment(), writeFile(), readFile(),
                listEnvironments(), explainSelection());
    }

    private Definition runCode() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("language", McpSchemas.oneOf(List.copyOf(LANGUAGES.keySet()), "The language of code."));
        properties.put("code", typed("string", "The program, run as the language's interpreter's one-argument program."));
        properties.put("argv", McpSchemas.strings("A command instead of code, e.g. [\"ls\", \"-la\"]."));
        properties.put("stdin", STDIN);
        properties.put("timeout", TIMEOUT);
        properties.put("security", SECURITY);
        properties.put("network", typed("boolean", "Whether the code may reach the network (default false)."));
        properties.put("memory", typed("string", "Memory, e.g. 512m."));
        Tool tool = tool("run_code", "Run code once in a fresh isolated environment (made, used, destroyed in this "
                + "call) and get its exit code, stdout and stderr. Give language and code, or argv.", properties);
        return define(tool, (call, arguments) -> {
            Settings fields = fields("run_code", arguments, properties.keySet());
            ObjectNode exec = execBody(arguments, RequestBodies.checked(() -> command(fields)));
            ObjectNode wanted = json.createObjectNode();
            for (String key : List.of("security", "network", "memory")) {
                if (arguments.containsKey(key)) {
                    wanted.set(key, json.valueToTree(arguments.get(key)));
                }
            }
            if (fields.has("language")) {
                wanted.put("toolType", fields.string("language", ""));
            }
            ExecRequest request = bodies.exec(exec, "run_code", Set.of());
            EnvironmentRequirement requirement = bodies.requirement(wanted, "run_code");
            call.audit().level(requirement.securityLevel()).argv(request.argv());
            try (Tenants.TenantLease held = tenants.lease(call.tenant(), requirement)) {
                Lease lease = held.lease();
                call.audit().environment(lease.id(), lease.kind());
                return McpResults.exec(lease.kind(), lease.id(),
                        call.run(request, live -> lease.execute(request, live), () -> lease.execute(request)));
            }
        });
    }

    private Definition createEnvironment() {
        Tool tool = tool("create_environment", "Create an isolated environment that lives until destroy_environment "
                + "or its ttl; run commands in it with exec, move files with write_file and read_file.",
                McpSchemas.requirement());
        return define(tool, (call, arguments) -> {
            EnvironmentRequirement requirement = requirement("create_environment", arguments);
            call.audit().level(requirement.securityLevel());
            EnvironmentInfo info = tenants.create(call.tenant(), requirement);
            call.audit().environment(info.id(), info.kind());
            return McpResults.environment("created", info);
        });
    }

    private Definition exec() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("id", ID);
        properties.put("argv", McpSchemas.strings("The command and its arguments, e.g. [\"python3\", \"main.py\"]."));
        properties.put("command", typed("string", "A shell command line instead of argv, run by sh -c."));
        properties.put("stdin", STDIN);
        properties.put("timeout", TIMEOUT);
        Tool tool = tool("exec", "Run a command in an environment made by create_environment; its workspace and "
                + "files stay between commands.", properties, "id");
        return define(tool, (call, arguments) -> {
            Settings fields = fields("exec", arguments, properties.keySet());
            EnvironmentInfo info = owned(call, fields);
            ObjectNode exec = execBody(arguments, RequestBodies.checked(() -> shellOrArgv(fields)));
            ExecRequest request = bodies.exec(exec, "exec", Set.of());
            call.audit().argv(request.argv());
            return McpResults.exec(info.kind(), info.id(),
                    call.run(request, live -> manager.execute(info.id(), request, live), () -> manager.execute(info.id(), request)));
        });
    }

    private Definition destroyEnvironment() {
        Map<String, Object> properties = Map.of("id", ID);
        Tool tool = tool("destroy_environment", "Destroy an environment and everything in it.", properties, "id");
        return define(tool, (call, arguments) -> {
            String id = owned(call, fields("destroy_environment", arguments, properties.keySet())).id();
            if (!manager.destroy(id)) {
                throw StagecraftException.notFound(id);
            }
            return McpResults.text("destroyed " + id);
        });
    }

    private Definition writeFile() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("id", ID);
        properties.put("path", PATH);
        properties.put("content", typed("string", "The file's text (UTF-8)."));
        properties.put("contentBase64", typed("string", "The file's bytes in base64, instead of content."));
        Tool tool = tool("write_file", "Write a file into an environment's workspace (parent folders are made; at most "
                + settings.maxFileBytes() + " bytes).", properties, "id", "path");
        return define(tool, (call, arguments) -> {
            Settings fields = fields("write_file", arguments, properties.keySet());
            String id = owned(call, fields).id();
            String path = required(fields, "path");
            call.audit().path(path);
            byte[] content = RequestBodies.checked(() -> content(fields));
            if (content.length > settings.maxFileBytes()) {
                throw ApiException.tooLarge(path, settings.maxFileBytes());
            }
            manager.putFile(id, path, content);
            return McpResults.text("wrote " + content.length + " bytes to " + path + " in " + id);
        });
    }

    private Definition readFile() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("id", ID);
        properties.put("path", PATH);
        Tool tool = tool("read_file", "Read a file from an environment's workspace: its text, or base64 when it is not "
                + "UTF-8 (at most " + settings.maxFileBytes() + " bytes).", properties, "id", "path");
        return define(tool, (call, arguments) -> {
            Settings fields = fields("read_file", arguments, properties.keySet());
            String id = owned(call, fields).id();
            String path = required(fields, "path");
            call.audit().path(path);
            byte[] content = manager.getFile(id, path, settings.maxFileBytes() + 1);
            if (content.length > settings.maxFileBytes()) {
                throw ApiException.tooLarge(path, settings.maxFileBytes());
            }
            return McpResults.text(text(content).orElseGet(() -> "(not UTF-8 text; base64 of its " + content.length
                    + " bytes follows)\n" + Base64.getEncoder().encodeToString(content)));
        });
    }

    private Definition listEnvironments() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("labels", McpSchemas.stringMap("Only environments carrying all these labels."));
        properties.put("kind", typed("string", "Only environments of this kind, e.g. sandbox."));
        Tool tool = tool("list_environments", "List your environments: id, kind, isolation, status, expiry, labels.",
                properties);
        return define(tool, (call, arguments) -> {
            Settings fields = fields("list_environments", arguments, properties.keySet());
            List<EnvironmentInfo> found = RequestBodies.checked(() -> tenants.list(call.tenant(),
                    Optional.ofNullable(fields.string("kind", null)), RequestBodies.stringMap(fields, "labels")));
            StringBuilder text = new StringBuilder(found.size() + " environment(s)\n");
            found.forEach(info -> text.append(McpResults.line(info)).append('\n'));
            return McpResults.text(text.toString(), Map.of("environments", found.stream().map(Json::environment).toList()));
        });
    }

    private Definition explainSelection() {
        Tool tool = tool("explain_selection", "Which environment kind a requirement would get and why each candidate "
                + "was kept or dropped, without making anything.", McpSchemas.requirement());
        return define(tool, (call, arguments) -> {
            Selection selection = tenants.select(call.tenant(), "select", requirement("explain_selection", arguments));
            return McpResults.text(selection.explain(), Json.selection(selection));
        });
    }

    private Definition define(Tool tool, Handler handler) {
        return new Definition(tool, handler, audit);
    }

    /** The caller's environment named by the {@code id} argument, noted in the call's audit record. */
    private EnvironmentInfo owned(ToolCall call, Settings fields) {
        EnvironmentInfo info = tenants.owned(call.tenant(), required(fields, "id"));
        call.audit().environment(info);
        return info;
    }

    private static Tool tool(String name, String description, Map<String, Object> properties, String... required) {
        return Tool.builder().name(name).description(description).inputSchema(object(properties, required)).build();
    }

    private EnvironmentRequirement requirement(String tool, Map<String, Object> arguments) {
        return bodies.requirement(json.valueToTree(arguments), tool);
    }

    /** The arguments as a settings section, refused (naming the field) when one is unknown. */
    private Settings fields(String tool, Map<String, Object> arguments, Set<String> known) {
        return bodies.fields(json.valueToTree(arguments), tool, known);
    }

    private static String required(Settings fields, String key) {
        String value = RequestBodies.checked(() -> fields.string(key, ""));
        if (value.isBlank()) {
            throw ApiException.badRequest(fields.invalid(key, "required").getMessage());
        }
        return value;
    }

    /** An exec body as the HTTP API takes it: this argv, with the call's stdin and timeout. */
    private ObjectNode execBody(Map<String, Object> arguments, List<String> argv) {
        ObjectNode exec = json.createObjectNode();
        exec.set("argv", json.valueToTree(argv));
        for (String key : List.of("stdin", "timeout")) {
            if (arguments.containsKey(key)) {
                exec.set(key, json.valueToTree(arguments.get(key)));
            }
        }
        return exec;
    }

    private static List<String> command(Settings fields) {
        if (fields.has("argv")) {
            if (fields.has("code") || fields.has("language")) {
                throw fields.invalid("argv", "give language and code, or argv, not both");
            }
            return fields.strings("argv", List.of());
        }
        String language = fields.string("language", "");
        List<String> interpreter = LANGUAGES.get(language);
        if (interpreter == null) {
            throw fields.invalid("language", (language.isEmpty() ? "required with code" : "'" + language + "' is not known")
                    + " (known: " + String.join(", ", LANGUAGES.keySet()) + ")");
        }
        if (!fields.has("code")) {
            throw fields.invalid("code", "required: the program to run, or give argv instead");
        }
        List<String> argv = new java.util.ArrayList<>(interpreter);
        argv.add(fields.string("code", ""));
        return argv;
    }

    private static List<String> shellOrArgv(Settings fields) {
        if (fields.has("command") == fields.has("argv")) {
            throw fields.invalid("argv", "give argv or command, one of them");
        }
        return fields.has("command") ? List.of("sh", "-c", fields.string("command", "")) : fields.strings("argv", List.of());
    }

    private static byte[] content(Settings fields) {
        if (fields.has("content") == fields.has("contentBase64")) {
            throw fields.invalid("content", "give content or contentBase64, one of them");
        }
        if (fields.has("content")) {
            return fields.string("content", "").getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(fields.string("contentBase64", ""));
        } catch (IllegalArgumentException e) {
            throw fields.invalid("contentBase64", "not base64: " + e.getMessage());
        }
    }

    private static Optional<String> text(byte[] content) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static Map<String, List<String>> languages() {
        Map<String, List<String>> languages = new TreeMap<>();
        languages.put("python", List.of("python3", "-c"));
        languages.put("sh", List.of("sh", "-c"));
        languages.put("bash", List.of("bash", "-c"));
        languages.put("node", List.of("node", "-e"));
        languages.put("perl", List.of("perl", "-e"));
        languages.put("ruby", List.of("ruby", "-e"));
        return java.util.Collections.unmodifiableMap(languages);
    }
}
