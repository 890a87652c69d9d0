package dev.stagecraft.server;

import dev.stagecraft.server.ServerFixture.Answer;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/openapi.json} against the server it documents: the routes and the document name the same operations,
 * and a broad scenario through real HTTP on loopback, with the real sandbox, answers only what the document says.
 */
class TestOpenApiTraffic {
    private static final String NDJSON = NdjsonOutput.CONTENT_TYPE;

    @TempDir
    Path state;

    private ServerFixture fixture;
    private OpenApiContract contract;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__MAX_FILE_SIZE", "1k",
                "STAGECRAFT_SERVER__MAX_REQUEST_SIZE", "2k", "STAGECRAFT_SERVER__TENANTS__SMALL__MAX_ENVIRONMENTS", "1"));
        contract = OpenApiContract.shipped();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void theDocumentIsValidOpenApi31() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(
                new String(OpenApiRoute.document(), StandardCharsets.UTF_8), null, options);
        assertThat(parsed.getMessages()).isEmpty();
        assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(parsed.getOpenAPI().getJsonSchemaDialect()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() {
        Set<String> routes = fixture.server.routes().stream().map(OpenApiContract::operation)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(contract.operations()).containsExactlyElementsOf(routes);
    }

    @Test
    void recordedTrafficAgreesWithTheDocument() {
        String key = fixture.key("acme");
        probesAndService(key);
        String id = environmentLifeCycle(key);
        runAndMcp(key);
        operator(key);
        failures(key, id);
        assertThat(fixture.send("DELETE", "/v1/environments/" + id, key, null).status()).isEqualTo(204);

        List<RecordedExchange> traffic = fixture.traffic();
        assertThat(contract.problems(traffic, fixture.server.routes())).isEmpty();
        Set<String> exercised = traffic.stream().flatMap(exchange -> fixture.server.routes().stream()
                        .filter(route -> route.method().equals(exchange.method()) && route.match(exchange.uri().getRawPath()).isPresent())
                        .map(OpenApiContract::operation))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(exercised).as("every documented operation is in the traffic").containsExactlyElementsOf(contract.operations());
    }

    private void probesAndService(String key) {
        assertThat(fixture.send("GET", "/healthz", null, null).status()).isEqualTo(200);
        assertThat(fixture.send("GET", "/readyz", null, null).status()).isEqualTo(200);
        assertThat(fixture.send("GET", "/metrics", null, null).status()).isEqualTo(200);
        assertThat(fixture.sendBytes("GET", "/metrics", null, null, Map.of("Accept", "application/openmetrics-text")).status())
                .isEqualTo(200);
        Answer openApi = fixture.send("GET", "/v1/openapi.json", null, null);
        assertThat(openApi.header("Content-Type")).contains("application/json");
        assertThat(openApi.response().body()).isEqualTo(OpenApiRoute.document());
        assertThat(fixture.send("GET", "/v1/providers", key, null).status()).isEqualTo(200);
        assertThat(fixture.send("GET", "/v1/pools", key, null).status()).isEqualTo(200);
        assertThat(fixture.send("POST", "/v1/select", key, "{\"security\":\"medium\"}").json().get("chosen").asText())
                .isEqualTo("sandbox");
        assertThat(fixture.send("POST", "/v1/select", key, "{\"gpus\":4}").json().get("chosen").isNull()).isTrue();
    }

    /** Create, list, read, run, stream, copy in and out, stop, refuse an exec, start. */
    private String environmentLifeCycle(String key) {
        Answer created = fixture.send("POST", "/v1/environments", key,
                "{\"security\":\"medium\",\"memory\":\"256m\",\"ttl\":\"10m\",\"labels\":{\"job\":\"42\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String at = "/v1/environments/" + id;
        assertThat(fixture.send("GET", "/v1/environments?label=job=42&kind=sandbox", key, null).json()).hasSize(1);
        assertThat(fixture.send("GET", at, key, null).json().has("usage")).isTrue();
        assertThat(fixture.send("POST", at + "/exec", key,
                "{\"argv\":[\"sh\",\"-c\",\"cat; echo $X >&2\"],\"stdin\":\"in\",\"env\":{\"X\":\"1\"},\"timeout\":\"30s\"}")
                .json().get("stdout").asText()).isEqualTo("in");
        Answer streamed = fixture.sendBytes("POST", at + "/exec", key,
                "{\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 2\"]}".getBytes(StandardCharsets.UTF_8), Map.of("Accept", NDJSON));
        assertThat(streamed.header("Content-Type")).contains(NDJSON);
        assertThat(streamed.text()).contains("{\"stdout\":\"out\\n\"}").contains("\"exitCode\":2");
        byte[] content = {0, 1, 2, (byte) 0xff};
        assertThat(fixture.sendBytes("PUT", at + "/files/in/data.bin", key, content).status()).isEqualTo(204);
        assertThat(fixture.send("GET", at + "/files/in/data.bin", key, null).response().body()).isEqualTo(content);
        assertThat(fixture.send("POST", at + "/stop", key, null).json().get("status").asText()).isEqualTo("STOPPED");
        assertThat(fixture.send("POST", at + "/exec", key, "{\"argv\":[\"true\"]}").status()).isEqualTo(409);
        assertThat(fixture.send("POST", at + "/start", key, null).json().get("status").asText()).isEqualTo("READY");
        return id;
    }

    private void runAndMcp(String key) {
        Answer run = fixture.send("POST", "/v1/run", key, "{\"argv\":[\"sh\",\"-c\",\"echo hi\"],\"requirement\":{\"security\":\"low\"}}");
        assertThat(run.json().get("stdout").asText()).isEqualTo("hi\n");
        Answer streamed = fixture.sendBytes("POST", "/v1/run", key, "{\"argv\":[\"echo\",\"streamed\"]}".getBytes(StandardCharsets.UTF_8),
                Map.of("Accept", NDJSON));
        assertThat(streamed.text()).contains("{\"stdout\":\"streamed\\n\"}").contains("{\"result\":");
        Answer tools = fixture.sendBytes("POST", "/mcp", key,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}".getBytes(StandardCharsets.UTF_8),
                Map.of("Accept", "application/json, text/event-stream"));
        assertThat(tools.text()).contains("run_code");
        assertThat(fixture.send("POST", "/mcp", key, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").status())
                .isEqualTo(202);
    }

    /** The status page and its JSON with an operator key (bearer and Basic), 401 without a key, 403 with a tenant's. */
    private void operator(String key) {
        String operator = fixture.operatorKey("ops");
        Answer page = fixture.send("GET", "/", operator, null);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).contains("text/html; charset=utf-8");
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(("operator:" + operator).getBytes(StandardCharsets.UTF_8));
        assertThat(fixture.sendBytes("GET", "/", null, null, Map.of("Authorization", basic)).status()).isEqualTo(200);
        Answer status = fixture.send("GET", "/v1/status", operator, null);
        assertThat(status.json().get("environments")).isNotEmpty();
        assertThat(status.json().get("selections")).isNotEmpty();
        assertThat(fixture.send("GET", "/", null, null).header("WWW-Authenticate")).isPresent();
        assertThat(fixture.send("GET", "/v1/status", key, null).status()).isEqualTo(403);
        assertThat(fixture.send("GET", "/", key, null).status()).isEqualTo(403);
    }

    /** 400, 401, 404, 405, 409 (above), 413, 429, each in the error shape. */
    private void failures(String key, String id) {
        String at = "/v1/environments/" + id;
        assertThat(fixture.send("GET", "/v1/environments", null, null).status()).isEqualTo(401);
        assertThat(fixture.send("GET", "/v1/environments/sc-nothere", key, null).status()).isEqualTo(404);
        assertThat(fixture.send("GET", "/v1/nothing", key, null).status()).isEqualTo(404);
        assertThat(fixture.send("GET", at + "/files/absent", key, null).status()).isEqualTo(404);
        assertThat(fixture.send("POST", "/v1/environments", key, "{\"colour\":\"red\"}").status()).isEqualTo(400);
        assertThat(fixture.send("POST", "/v1/run", key, "{\"cpus\": ").status()).isEqualTo(400);
        assertThat(fixture.send("GET", at + "/files/..%2F..%2Fetc%2Fpasswd", key, null).status()).isEqualTo(400);
        assertThat(fixture.send("PATCH", "/v1/environments", key, "{}").status()).isEqualTo(405);
        assertThat(fixture.send("GET", "/mcp", key, null).status()).isEqualTo(405);
        assertThat(fixture.sendBytes("PUT", at + "/files/big", key, new byte[1025]).status()).isEqualTo(413);
        assertThat(fixture.send("POST", "/v1/select", key, "{\"toolType\":\"" + "x".repeat(3000) + "\"}").status())
                .isEqualTo(413);
        String small = fixture.key("small");
        assertThat(fixture.send("POST", "/v1/environments", small, "{\"ttl\":\"10m\"}").status()).isEqualTo(201);
        Answer quota = fixture.send("POST", "/v1/environments", small, "{}");
        assertThat(quota.status()).isEqualTo(429);
        assertThat(quota.header("Retry-After")).isPresent();
    }
}
