package dev.stagecraft.server;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link OpenApiContract} finds what disagrees with the document, so a clean traffic check means something. */
class TestOpenApiContract {
    private static final Route.Handler NONE = call -> Response.noContent();
    private static final List<Route> ROUTES = List.of(Route.open("GET", "/healthz", NONE), Route.of("GET", "/v1/pools", NONE),
            Route.of("POST", "/v1/environments", NONE), Route.of("POST", "/v1/run", NONE),
            Route.of("GET", "/v1/environments/{id}/files/{path...}", NONE), Route.of("GET", "/v1/undocumented", NONE),
            Route.operator("GET", "/", NONE), Route.operator("GET", "/v1/status", NONE));
    private static final String KEY = "Bearer sc_abc_secret";
    private static final String BASIC = "Basic b3BlcmF0b3I6c2NfYWJjX3NlY3JldA==";
    private static final String ENVIRONMENT = "{\"id\":\"sc-1\",\"kind\":\"sandbox\",\"isolation\":\"process\",\"status\":\"READY\","
            + "\"expired\":false,\"createdAt\":\"2026-12-05T08:00:00Z\",\"uptimeSeconds\":1,\"ttlSeconds\":600,"
            + "\"expiresAt\":\"2026-12-05T08:10:00Z\",\"lastUsedAt\":\"2026-12-05T08:00:00Z\",\"labels\":{}}";

    private final OpenApiContract contract = OpenApiContract.shipped();

    private static RecordedExchange exchange(String method, String path, String key, String request, int status,
                                             String contentType, String response) {
        Map<String, List<String>> requestHeaders = key == null ? Map.of() : Map.of("Authorization", List.of(key));
        Map<String, List<String>> responseHeaders = contentType == null ? Map.of() : Map.of("Content-Type", List.of(contentType));
        return new RecordedExchange(method, URI.create("http://127.0.0.1" + path), requestHeaders,
                request.getBytes(StandardCharsets.UTF_8), status, responseHeaders, response.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> problems(RecordedExchange exchange) {
        return contract.problems(exchange, ROUTES);
    }

    @Test
    void documentedAnswersPass() {
        assertThat(problems(exchange("GET", "/healthz", null, "", 200, "application/json", "{\"status\":\"ok\"}"))).isEmpty();
        assertThat(problems(exchange("POST", "/v1/environments", KEY, "{\"ttl\":\"10m\"}", 201, "application/json", ENVIRONMENT)))
                .isEmpty();
        assertThat(problems(exchange("GET", "/v1/environments/sc-1/files/a/b.txt", KEY, "", 200, "application/octet-stream", "x")))
                .isEmpty();
    }

    @Test
    void aBodyOffItsSchemaIsReported() {
        assertThat(problems(exchange("GET", "/healthz", null, "", 200, "application/json", "{\"status\":\"ok\",\"more\":1}")))
                .singleElement().asString().contains("more");
        assertThat(problems(exchange("POST", "/v1/environments", KEY, "{}", 201, "application/json",
                ENVIRONMENT.replace("\"READY\"", "\"ASLEEP\"")))).singleElement().asString().contains("status");
        assertThat(problems(exchange("GET", "/v1/pools", KEY, "", 404, "application/json",
                "{\"error\":{\"code\":\"LOST\",\"message\":\"x\"}}"))).isNotEmpty();
    }

    @Test
    void anAcceptedRequestOffItsSchemaIsReported() {
        assertThat(problems(exchange("POST", "/v1/environments", KEY, "{\"colour\":\"red\"}", 201, "application/json", ENVIRONMENT)))
                .singleElement().asString().contains("colour");
        assertThat(problems(exchange("POST", "/v1/run", KEY, "{\"argv\":[\"true\"],\"requirement\":{},\"extra\":1}", 200,
                "application/x-ndjson", "{\"stdout\":\"x\"}\n{\"error\":{\"code\":\"EXEC_FAILED\",\"message\":\"m\"}}")))
                .singleElement().asString().contains("extra");
    }

    @Test
    void anUndocumentedStatusContentTypeHeaderOrRouteIsReported() {
        assertThat(problems(exchange("GET", "/v1/pools", KEY, "", 418, "application/json", "{}")))
                .singleElement().asString().contains("418 is not documented");
        assertThat(problems(exchange("GET", "/v1/pools", KEY, "", 200, "text/html", "<p>")))
                .singleElement().asString().contains("text/html");
        assertThat(problems(exchange("POST", "/v1/environments", KEY, "{}", 429, "application/json",
                "{\"error\":{\"code\":\"QUOTA_EXCEEDED\",\"message\":\"m\"}}"))).singleElement().asString().contains("Retry-After");
        assertThat(problems(exchange("GET", "/v1/undocumented", KEY, "", 200, "application/json", "{}")))
                .singleElement().asString().contains("no path /v1/undocumented");
        assertThat(problems(exchange("GET", "/v1/pools", null, "", 200, "application/json", "[]")))
                .singleElement().asString().contains("without a key");
    }

    @Test
    void basicCredentialsPassOnlyWhereTheOperationNamesThatScheme() {
        assertThat(problems(exchange("GET", "/", BASIC, "", 200, "text/html; charset=utf-8", "<p>"))).isEmpty();
        assertThat(problems(exchange("GET", "/", KEY, "", 200, "text/html; charset=utf-8", "<p>"))).isEmpty();
        assertThat(problems(exchange("GET", "/v1/pools", BASIC, "", 200, "application/json", "[]")))
                .singleElement().asString().contains("without a key");
        assertThat(problems(exchange("GET", "/v1/status", null, "", 401, "application/json",
                "{\"error\":{\"code\":\"UNAUTHENTICATED\",\"message\":\"m\"}}"))).singleElement().asString().contains("WWW-Authenticate");
    }

    @Test
    void aStreamThatDoesNotEndInResultOrErrorIsReported() {
        assertThat(problems(exchange("POST", "/v1/run", KEY, "{\"argv\":[\"true\"]}", 200, "application/x-ndjson", "{\"stdout\":\"x\"}")))
                .singleElement().asString().contains("neither result nor error");
    }

    @Test
    void outsideEveryOperationOnly404And405InTheErrorShapePass() {
        String error = "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no route /nowhere\"}}";
        assertThat(problems(exchange("GET", "/nowhere", KEY, "", 404, "application/json", error))).isEmpty();
        assertThat(problems(exchange("GET", "/nowhere", KEY, "", 200, "application/json", "{}"))).isNotEmpty();
        assertThat(problems(exchange("DELETE", "/healthz", KEY, "", 405, "application/json", "{\"oops\":1}"))).isNotEmpty();
    }
}
