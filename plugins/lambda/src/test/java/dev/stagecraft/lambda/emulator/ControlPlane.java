package dev.stagecraft.lambda.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lambda's control plane, the operations of the 2015-03-31 REST API the provider uses, as AWS documents them:
 * CreateFunction ({@code POST /2015-03-31/functions}, 201), GetFunction, GetFunctionConfiguration, Invoke
 * ({@code POST .../invocations}), DeleteFunction (204), ListFunctions, TagResource/UntagResource/ListTags
 * ({@code /2017-03-31/tags/ARN}) and GetAccountSettings ({@code /2016-08-19/account-settings}). Every request is
 * signature-checked first.
 */
final class ControlPlane implements HttpHandler {
    private static final String FUNCTIONS = "/2015-03-31/functions";
    private static final Pattern FUNCTION = Pattern.compile(FUNCTIONS + "/([^/]+)/?");
    private static final Pattern CONFIGURATION = Pattern.compile(FUNCTIONS + "/([^/]+)/configuration/?");
    private static final Pattern INVOCATIONS = Pattern.compile(FUNCTIONS + "/([^/]+)/invocations/?");
    private static final Pattern TAGS = Pattern.compile("/2017-03-31/tags/(.+)");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final Pattern ROLE = Pattern.compile("arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+");
    private static final Pattern TAG_TEXT = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
    private static final Set<String> RUNTIMES = Set.of("provided.al2023", "provided.al2");
    private static final Set<String> RESERVED = Set.of("_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
            "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
            "LAMBDA_RUNTIME_DIR");
    private static final int CREATE_LIMIT = 70_167_211;
    private static final int ZIP_LIMIT = 52_428_800;
    private static final int INVOKE_LIMIT = 6 * 1024 * 1024;
    private static final DateTimeFormatter MODIFIED = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

    private final LambdaEmulator emulator;

    ControlPlane(LambdaEmulator emulator) {
        this.emulator = emulator;
    }

    private record Answer(int status, byte[] body, Map<String, String> headers) {
        static Answer json(int status, Object value) {
            return new Answer(status, Json.write(value), Map.of());
        }

        static Answer empty(int status) {
            return new Answer(status, new byte[0], Map.of());
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer;
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                SigV4.Request request = new SigV4.Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                        exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body);
                Optional<SigV4.Refusal> refusal = SigV4.verify(request, emulator.options.credentials(),
                        emulator.options.region(), "lambda", Instant.now());
                if (refusal.isPresent()) {
                    throw new AwsError(403, refusal.get().errorType(), refusal.get().message());
                }
                if (emulator.throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw AwsError.throttled("CallerRateLimitExceeded");
                }
                answer = route(request);
            } catch (AwsError e) {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("Type", e.status >= 500 ? "Service" : "User");
                error.put("Message", e.getMessage());
                error.putAll(e.extra);
                answer = new Answer(e.status, Json.write(error), Map.of("x-amzn-ErrorType", e.type));
            } catch (RuntimeException e) {
                answer = new Answer(500, Json.write(Map.of("Type", "Service", "Message", String.valueOf(e))),
                        Map.of("x-amzn-ErrorType", "ServiceException"));
            }
            var headers = exchange.getResponseHeaders();
            headers.set("x-amzn-RequestId", UUID.randomUUID().toString());
            headers.set("Content-Type", "application/json");
            answer.headers().forEach(headers::set);
            boolean noBody = answer.body().length == 0;
            exchange.sendResponseHeaders(answer.status(), noBody ? -1 : answer.body().length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body());
                }
            }
        }
    }

    private Answer route(SigV4.Request r) {
        String path = r.rawPath();
        String method = r.method();
        if (path.equals(FUNCTIONS) || path.equals(FUNCTIONS + "/")) {
            if (method.equals("POST")) {
                return createFunction(r.body());
            }
            if (method.equals("GET")) {
                return listFunctions(query(r.rawQuery()));
            }
        }
        Matcher m;
        if ((m = INVOCATIONS.matcher(path)).matches() && method.equals("POST")) {
            return invoke(function(m.group(1)), r);
        }
        if ((m = CONFIGURATION.matcher(path)).matches() && method.equals("GET")) {
            return Answer.json(200, function(m.group(1)).configuration());
        }
        if ((m = FUNCTION.matcher(path)).matches()) {
            if (method.equals("GET")) {
                EmulatedFunction f = function(m.group(1));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("Configuration", f.configuration());
                out.put("Code", Map.of("RepositoryType", "S3", "Location", emulator.endpoint() + "/code/" + f.name()));
                out.put("Tags", f.tags());
                return Answer.json(200, out);
            }
            if (method.equals("DELETE")) {
                EmulatedFunction f = function(m.group(1));
                if (emulator.functions.remove(f.name(), f)) {
                    f.delete();
                }
                return Answer.empty(204);
            }
        }
        if ((m = TAGS.matcher(path)).matches()) {
            EmulatedFunction f = byArn(decode(m.group(1)));
            switch (method) {
                case "GET":
                    return Answer.json(200, Map.of("Tags", f.tags()));
                case "POST":
                    f.tag(checkedTags(object(r.body()).path("Tags"), f.tags().size()));
                    return Answer.empty(204);
                case "DELETE":
                    f.untag(query(r.rawQuery()).getOrDefault("tagKeys", List.of()));
                    return Answer.empty(204);
                default:
                    break;
            }
        }
        if ((path.equals("/2016-08-19/account-settings") || path.equals("/2016-08-19/account-settings/")) && method.equals("GET")) {
            return accountSettings();
        }
        throw new AwsError(404, "UnknownOperationException", "no Lambda operation is " + method + " " + path);
    }

    private Answer createFunction(byte[] body) {
        if (body.length > CREATE_LIMIT) {
            throw new AwsError(413, "RequestEntityTooLargeException", "Request must be smaller than " + CREATE_LIMIT
                    + " bytes for the CreateFunction operation");
        }
        JsonNode in = object(body);
        String name = in.path("FunctionName").asText("");
        if (!NAME.matcher(name).matches()) {
            throw AwsError.validation(name, "functionName", "Member must satisfy regular expression pattern: " + NAME.pattern());
        }
        String role = in.path("Role").asText("");
        if (!ROLE.matcher(role).matches()) {
            throw AwsError.validation(role, "role", "Member must satisfy regular expression pattern: " + ROLE.pattern());
        }
        String runtime = in.path("Runtime").asText("");
        if (!RUNTIMES.contains(runtime)) {
            throw AwsError.invalidParameter("The runtime parameter of " + runtime + " is not supported by this emulator"
                    + " (it runs the OS-only runtimes " + RUNTIMES + ")");
        }
        int memory = in.path("MemorySize").asInt(128);
        if (memory < 128 || memory > 10240) {
            throw AwsError.validation(String.valueOf(memory), "memorySize", "Member must have value between 128 and 10240");
        }
        int timeout = in.path("Timeout").asInt(3);
        if (timeout < 1 || timeout > 900) {
            throw AwsError.validation(String.valueOf(timeout), "timeout", "Member must have value between 1 and 900");
        }
        int ephemeral = in.path("EphemeralStorage").path("Size").asInt(512);
        if (ephemeral < 512 || ephemeral > 10240) {
            throw AwsError.validation(String.valueOf(ephemeral), "ephemeralStorage.size", "Member must have value between 512 and 10240");
        }
        String architecture = in.path("Architectures").path(0).asText("x86_64");
        if (!architecture.equals("x86_64") && !architecture.equals("arm64")) {
            throw AwsError.validation(architecture, "architectures", "Member must satisfy enum value set: [x86_64, arm64]");
        }
        Map<String, String> variables = new TreeMap<>();
        in.path("Environment").path("Variables").fields().forEachRemaining(e -> variables.put(e.getKey(), e.getValue().asText()));
        List<String> reserved = variables.keySet().stream().filter(RESERVED::contains).toList();
        if (!reserved.isEmpty()) {
            throw AwsError.invalidParameter("Lambda was unable to configure your environment variables because the environment"
                    + " variables you have provided contains reserved keys that are currently not supported for modification."
                    + " Reserved keys used in this request: " + String.join(", ", reserved));
        }
        Map<String, String> tags = checkedTags(in.path("Tags"), 0);
        byte[] zip;
        try {
            zip = Base64.getDecoder().decode(in.path("Code").path("ZipFile").asText(""));
        } catch (IllegalArgumentException e) {
            throw AwsError.invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.");
        }
        if (zip.length == 0) {
            throw AwsError.invalidParameter("Please provide a source for function code.");
        }
        if (zip.length > ZIP_LIMIT) {
            throw new AwsError(413, "RequestEntityTooLargeException", "Zipped size must be smaller than " + ZIP_LIMIT + " bytes");
        }
        if (!emulator.options.roles().contains(role)) {
            throw AwsError.invalidParameter("The role defined for the function cannot be assumed by Lambda.");
        }
        if (emulator.functions.containsKey(name)) {
            throw AwsError.conflict("Function already exist: " + name);
        }
        Path dir = emulator.directory.resolve("functions").resolve(name);
        try {
            Files.createDirectories(dir.resolve("code"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try {
            FunctionCode.unpack(zip, dir.resolve("code"));
        } catch (AwsError e) {
            deleteQuietly(dir);
            throw e;
        }
        EmulatedFunction.Config config = new EmulatedFunction.Config(name, emulator.arn(name), runtime, role,
                in.path("Handler").asText(""), in.path("Description").asText(""), memory, timeout, ephemeral, architecture,
                variables, zip.length, Base64.getEncoder().encodeToString(SigV4.sha256(zip)), MODIFIED.format(Instant.now()),
                UUID.randomUUID().toString());
        EmulatedFunction function = new EmulatedFunction(config, dir, tags);
        if (emulator.functions.putIfAbsent(name, function) != null) {
            deleteQuietly(dir);
            throw AwsError.conflict("Function already exist: " + name);
        }
        emulator.timers.schedule(function::activate, emulator.options.pending().toMillis(), TimeUnit.MILLISECONDS);
        return Answer.json(201, function.configuration());
    }

    private Answer invoke(EmulatedFunction f, SigV4.Request r) {
        if (r.body().length > INVOKE_LIMIT) {
            throw new AwsError(413, "RequestTooLargeException", "Request must be smaller than " + INVOKE_LIMIT
                    + " bytes for the InvokeFunction operation");
        }
        if (r.body().length > 0 && Json.read(r.body()) == null) {
            throw new AwsError(400, "InvalidRequestContentException", "Could not parse request body into json: the payload"
                    + " is not valid JSON");
        }
        if (!f.state().equals("Active")) {
            throw AwsError.conflict("The operation cannot be performed at this time. The function is currently in the"
                    + " following state: " + f.state());
        }
        String type = r.header("x-amz-invocation-type").orElse("RequestResponse");
        if (type.equals("DryRun")) {
            return Answer.empty(204);
        }
        if (!type.equals("RequestResponse")) {
            throw AwsError.invalidParameter("this emulator runs RequestResponse and DryRun invocations, not " + type);
        }
        if (emulator.running.incrementAndGet() > emulator.options.concurrency()) {
            emulator.running.decrementAndGet();
            throw AwsError.throttled("ConcurrentInvocationLimitExceeded");
        }
        try {
            ExecutionInstance instance;
            try {
                instance = f.acquire(lambdaEnvironment(f), emulator.options.processes(), emulator.launcher, emulator.http);
            } catch (IOException e) {
                throw new AwsError(502, "ServiceException", "cannot start the function's runtime: " + e.getMessage());
            }
            ExecutionInstance.Outcome outcome;
            try {
                outcome = instance.invoke(r.body().length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : r.body(), f.timeout(),
                        emulator.options.initTimeout());
            } finally {
                f.release(instance);
            }
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("X-Amz-Executed-Version", "$LATEST");
            if (outcome.functionError() != null) {
                headers.put("X-Amz-Function-Error", outcome.functionError());
            }
            return new Answer(200, outcome.payload(), headers);
        } finally {
            emulator.running.decrementAndGet();
        }
    }

    /** The variables Lambda sets for a runtime (its reserved ones), then the function's own. */
    private Map<String, String> lambdaEnvironment(EmulatedFunction f) {
        EmulatedFunction.Config c = f.config();
        Map<String, String> env = new TreeMap<>(c.variables());
        env.put("_HANDLER", c.handler());
        env.put("AWS_REGION", emulator.options.region());
        env.put("AWS_DEFAULT_REGION", emulator.options.region());
        env.put("AWS_LAMBDA_FUNCTION_NAME", c.name());
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(c.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + c.name());
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", "emulator/[$LATEST]" + UUID.randomUUID().toString().replace("-", ""));
        // The execution role's session keys, made up: a runtime can read them, a command must not.
        env.put("AWS_ACCESS_KEY_ID", "ASIAEMULATORROLEKEY0");
        env.put("AWS_SECRET_ACCESS_KEY", "emulator-role-secret-" + c.revisionId());
        env.put("AWS_SESSION_TOKEN", "emulator-role-session-" + c.revisionId());
        env.put("LAMBDA_TASK_ROOT", "/var/task");
        env.put("LAMBDA_RUNTIME_DIR", "/var/runtime");
        env.put("LANG", "en_US.UTF-8");
        env.put("TZ", ":UTC");
        env.put("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
        env.put("LD_LIBRARY_PATH", "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib");
        return env;
    }

    private Answer listFunctions(Map<String, List<String>> query) {
        int max = Math.min(50, Math.max(1, Integer.parseInt(first(query, "MaxItems").orElse("50"))));
        String marker = first(query, "Marker").map(m -> new String(Base64.getUrlDecoder().decode(m), StandardCharsets.UTF_8))
                .orElse("");
        List<EmulatedFunction> sorted = new ArrayList<>(emulator.functions.values());
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        List<Map<String, Object>> page = new ArrayList<>();
        String last = null;
        for (EmulatedFunction f : sorted) {
            if (f.name().compareTo(marker) <= 0 && !marker.isEmpty()) {
                continue;
            }
            if (page.size() == max) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("Functions", page);
                out.put("NextMarker", Base64.getUrlEncoder().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
                return Answer.json(200, out);
            }
            page.add(f.configuration());
            last = f.name();
        }
        return Answer.json(200, Map.of("Functions", page));
    }

    private Answer accountSettings() {
        long total = emulator.functions.values().stream().mapToLong(f -> f.config().codeSize()).sum();
        Map<String, Object> limit = new LinkedHashMap<>();
        limit.put("TotalCodeSize", 80_530_636_800L);
        limit.put("CodeSizeUnzipped", FunctionCode.MAX_UNZIPPED);
        limit.put("CodeSizeZipped", (long) ZIP_LIMIT);
        limit.put("ConcurrentExecutions", emulator.options.concurrency());
        limit.put("UnreservedConcurrentExecutions", emulator.options.concurrency());
        return Answer.json(200, Map.of("AccountLimit", limit,
                "AccountUsage", Map.of("TotalCodeSize", total, "FunctionCount", emulator.functions.size())));
    }

    /** The function a path names: a name, or a function ARN (with or without a qualifier). */
    private EmulatedFunction function(String rawName) {
        String name = decode(rawName);
        if (name.startsWith("arn:")) {
            return byArn(name);
        }
        EmulatedFunction f = emulator.functions.get(name);
        if (f == null) {
            throw AwsError.functionNotFound(emulator.arn(name));
        }
        return f;
    }

    private EmulatedFunction byArn(String arn) {
        String prefix = "arn:aws:lambda:" + emulator.options.region() + ":" + emulator.options.account() + ":function:";
        if (!arn.startsWith(prefix)) {
            throw AwsError.validation(arn, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:lambda:"
                    + emulator.options.region() + ":\\d{12}:function:[a-zA-Z0-9-_]+");
        }
        String name = arn.substring(prefix.length()).replaceFirst(":.*$", "");
        EmulatedFunction f = emulator.functions.get(name);
        if (f == null) {
            throw AwsError.functionNotFound(emulator.arn(name));
        }
        return f;
    }

    private static Map<String, String> checkedTags(JsonNode node, int existing) {
        Map<String, String> tags = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String value = e.getValue().asText();
            if (key.isEmpty() || key.length() > 128 || value.length() > 256 || !TAG_TEXT.matcher(key).matches()
                    || !TAG_TEXT.matcher(value).matches() || key.startsWith("aws:")) {
                throw AwsError.invalidParameter("The tag '" + key + "' with value '" + value + "' is not valid: keys of 1-128"
                        + " and values of at most 256 letters, digits, spaces and _.:/=+-@, no aws: prefix");
            }
            tags.put(key, value);
        }
        if (tags.size() + existing > 50) {
            throw AwsError.invalidParameter("A function can have at most 50 tags");
        }
        return tags;
    }

    private static JsonNode object(byte[] body) {
        JsonNode node = Json.read(body);
        if (node == null || !node.isObject()) {
            throw new AwsError(400, "SerializationException", "the request body is not a JSON object");
        }
        return node;
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new TreeMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String name = decode(eq < 0 ? part : part.substring(0, eq));
            String value = eq < 0 ? "" : decode(part.substring(eq + 1));
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static Optional<String> first(Map<String, List<String>> query, String name) {
        return Optional.ofNullable(query.get(name)).filter(v -> !v.isEmpty()).map(v -> v.get(0));
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // the emulator's own temporary files
        }
    }
}
