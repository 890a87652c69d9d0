package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's OpenAPI 3.1 document as a contract for recorded traffic. The route an exchange reached is found with the
 * server's own {@link Route#match} (a {@code {path...}} template is the document's {@code {path}}); its operation must
 * be in the document with the answer's status, the answer's content type must be one the document names, and JSON
 * bodies (each line of NDJSON) must validate against the schema there, by networknt's JSON Schema validator in its
 * OpenAPI 3.1 dialect (draft 2020-12). A request the server accepted must match the documented request body, query
 * and security (a key in one of the operation's schemes: bearer, or basic where it names that). A path no route has must be 404, one only other methods have 405, both with the error shape.
 */
final class OpenApiContract {
    private static final String BASE = "https://stagecraft.dev/v1/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    private final ObjectMapper json = new ObjectMapper();
    private final JsonNode document;
    private final SchemaRegistry schemas;
    private final Map<String, Schema> byPointer = new ConcurrentHashMap<>();

    OpenApiContract(byte[] document) throws IOException {
        this.document = json.readTree(document);
        String text = new String(document, StandardCharsets.UTF_8);
        this.schemas = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(), builder -> builder.schemas(Map.of(BASE, text)));
    }

    /** The shipped document's contract. */
    static OpenApiContract shipped() {
        try {
            return new OpenApiContract(OpenApiRoute.document());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What in all of {@code traffic} disagrees with the document. */
    List<String> problems(List<RecordedExchange> traffic, List<Route> routes) {
        List<String> problems = new ArrayList<>();
        traffic.forEach(exchange -> problems.addAll(problems(exchange, routes)));
        return problems;
    }

    /** {@code METHOD /template} for each operation in the document. */
    Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(name -> {
            if (METHODS.contains(name)) {
                operations.add(name.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return operations;
    }

    /** {@code METHOD /template} for a server route, in the document's spelling. */
    static String operation(Route route) {
        return route.method() + " " + documented(route.template());
    }

    private static String documented(String template) {
        return template.replace("...}", "}");
    }

    /** What in {@code exchange} disagrees with the document; empty when nothing does. */
    List<String> problems(RecordedExchange exchange, List<Route> routes) {
        List<String> problems = new ArrayList<>();
        String path = exchange.uri().getRawPath();
        List<Route> fitting = routes.stream().filter(route -> route.match(path).isPresent()).toList();
        if (fitting.isEmpty()) {
            expectError(exchange, 404, problems);
            return problems;
        }
        String template = documented(fitting.get(0).template());
        JsonNode pathItem = document.get("paths").get(template);
        if (pathItem == null) {
            problems.add(exchange + ": the document has no path " + template);
            return problems;
        }
        JsonNode operation = pathItem.get(exchange.method().toLowerCase(Locale.ROOT));
        if (operation == null) {
            expectError(exchange, 405, problems);
            return problems;
        }
        String operationPointer = "/paths/" + escape(template) + "/" + exchange.method().toLowerCase(Locale.ROOT);
        checkSecurity(exchange, operation, problems);
        JsonNode response = operation.path("responses").get(String.valueOf(exchange.status()));
        if (response == null) {
            problems.add(exchange + ": status " + exchange.status() + " is not documented for " + exchange.method() + " " + template);
            return problems;
        }
        String responsePointer = operationPointer + "/responses/" + exchange.status();
        if (response.has("$ref")) {
            responsePointer = response.get("$ref").asText().substring(1);
            response = resolve(responsePointer);
        }
        checkResponse(exchange, response, responsePointer, problems);
        if (exchange.status() / 100 == 2) {
            checkQuery(exchange, pathItem, operation, problems);
            checkRequestBody(exchange, operation, operationPointer, problems);
        }
        return problems;
    }

    /** An answer outside every operation: the status and the error shape. */
    private void expectError(RecordedExchange exchange, int status, List<String> problems) {
        if (exchange.status() != status) {
            problems.add(exchange + ": no documented operation, so the answer must be " + status);
            return;
        }
        validateJson(exchange, exchange.responseBody(), "/components/schemas/Error", "the error", problems);
    }

    private void checkSecurity(RecordedExchange exchange, JsonNode operation, List<String> problems) {
        JsonNode security = operation.has("security") ? operation.get("security") : document.path("security");
        boolean needsKey = security.isArray() && !security.isEmpty();
        if (exchange.status() == 401 && !needsKey) {
            problems.add(exchange + ": 401 from an operation the document says needs no key");
        }
        Set<String> schemes = new TreeSet<>();
        security.forEach(requirement -> requirement.fieldNames().forEachRemaining(name ->
                schemes.add(document.path("components").path("securitySchemes").path(name).path("scheme").asText())));
        boolean keyed = exchange.requestHeader("Authorization").filter(value -> (schemes.contains("bearer") && value.startsWith("Bearer sc_"))
                || (schemes.contains("basic") && value.startsWith("Basic "))).isPresent();
        if (needsKey && !keyed && exchange.status() != 401) {
            problems.add(exchange + ": answered without a key in a scheme the document names (" + schemes + ")");
        }
    }

    private void checkResponse(RecordedExchange exchange, JsonNode response, String pointer, List<String> problems) {
        response.path("headers").fields().forEachRemaining(header -> {
            if (header.getValue().path("required").asBoolean() && exchange.responseHeader(header.getKey()).isEmpty()) {
                problems.add(exchange + ": the required header " + header.getKey() + " is missing");
            }
        });
        JsonNode content = response.get("content");
        if (content == null) {
            if (exchange.responseBody().length > 0) {
                problems.add(exchange + ": the document says no body, the answer has " + exchange.responseBody().length + " bytes");
            }
            return;
        }
        String mediaType = exchange.responseHeader("Content-Type").map(OpenApiContract::mediaType).orElse("");
        if (!content.has(mediaType)) {
            problems.add(exchange + ": content type '" + mediaType + "' is not one of " + names(content));
            return;
        }
        String schema = pointer + "/content/" + escape(mediaType) + "/schema";
        if (mediaType.equals("application/json")) {
            validateJson(exchange, exchange.responseBody(), schema, "the answer", problems);
        } else if (mediaType.equals(NdjsonOutput.CONTENT_TYPE)) {
            checkNdjson(exchange, schema, problems);
        }
    }

    /** Each line one JSON object valid against the schema; the last one {@code result} or {@code error}. */
    private void checkNdjson(RecordedExchange exchange, String schema, List<String> problems) {
        String[] lines = new String(exchange.responseBody(), StandardCharsets.UTF_8).split("\n");
        for (String line : lines) {
            validateJson(exchange, line.getBytes(StandardCharsets.UTF_8), schema, "the line " + line, problems);
        }
        String last = lines[lines.length - 1];
        if (!last.startsWith("{\"result\"") && !last.startsWith("{\"error\"")) {
            problems.add(exchange + ": the last NDJSON line is neither result nor error: " + last);
        }
    }

    private void checkQuery(RecordedExchange exchange, JsonNode pathItem, JsonNode operation, List<String> problems) {
        String query = exchange.uri().getRawQuery();
        if (query == null) {
            return;
        }
        Set<String> known = new TreeSet<>();
        for (JsonNode parameters : List.of(pathItem.path("parameters"), operation.path("parameters"))) {
            for (JsonNode parameter : parameters) {
                if (parameter.path("in").asText().equals("query")) {
                    known.add(parameter.get("name").asText());
                }
            }
        }
        for (String pair : query.split("&")) {
            String name = Call.decode(pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair);
            if (!known.contains(name)) {
                problems.add(exchange + ": the query parameter '" + name + "' is not documented");
            }
        }
    }

    private void checkRequestBody(RecordedExchange exchange, JsonNode operation, String operationPointer, List<String> problems) {
        JsonNode body = operation.get("requestBody");
        if (body == null) {
            if (exchange.requestBody().length > 0) {
                problems.add(exchange + ": a body was accepted where the document has none");
            }
            return;
        }
        String pointer = operationPointer + "/requestBody";
        if (body.has("$ref")) {
            pointer = body.get("$ref").asText().substring(1);
            body = resolve(pointer);
        }
        if (body.path("content").has("application/json")) {
            byte[] sent = exchange.requestBody().length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : exchange.requestBody();
            validateJson(exchange, sent, pointer + "/content/application~1json/schema", "the request body", problems);
        }
    }

    private void validateJson(RecordedExchange exchange, byte[] body, String pointer, String what, List<String> problems) {
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (IOException e) {
            problems.add(exchange + ": " + what + " is not JSON: " + e.getMessage());
            return;
        }
        Schema schema = byPointer.computeIfAbsent(pointer, key -> schemas.getSchema(SchemaLocation.of(BASE + "#" + key)));
        schema.validate(node).forEach(error -> problems.add(exchange + ": " + what + " at " + pointer + ": " + error));
    }

    private JsonNode resolve(String pointer) {
        JsonNode node = document.at(pointer);
        if (node.isMissingNode()) {
            throw new AssertionError("the document has nothing at #" + pointer);
        }
        return node;
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static String names(JsonNode object) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names.toString();
    }
}
