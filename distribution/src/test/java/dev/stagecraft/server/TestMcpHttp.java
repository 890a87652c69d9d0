package dev.stagecraft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static dev.stagecraft.server.McpClients.call;
import static dev.stagecraft.server.McpClients.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /mcp} on a real server: the MCP Java SDK's streamable HTTP client with a key (and its progress notifications), and
 * what is refused.
 */
class TestMcpHttp {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}";

    @TempDir
    Path state;

    private ServerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        Path config = Files.writeString(state.resolve("stagecraft.yaml"),
                "server:\n  mcp:\n    allowed-origins: [\"https://ide.example.com\"]\n");
        fixture = new ServerFixture(state, Map.of(), config);
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private String url() {
        return "http://127.0.0.1:" + fixture.server.address().getPort();
    }

    private McpSyncClient client(String key) {
        return client(key, update -> { });
    }

    private McpSyncClient client(String key, Consumer<McpSchema.ProgressNotification> progress) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(url())
                .endpoint("/mcp")
                .jsonMapper(new JacksonMcpJsonMapper(new ObjectMapper()))
                .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + key))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120)).progressConsumer(progress).build();
        client.initialize();
        return client;
    }

    private HttpResponse<String> post(String key, String origin) throws Exception {
        return post(key, origin, INITIALIZE);
    }

    private HttpResponse<String> post(String key, String origin, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (origin != null) {
            request.header("Origin", origin);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theJavaClientRunsCodeAndTheEnvironmentsAreTheKeysTenants() {
        String key = fixture.key("acme");
        McpSyncClient client = client(key);
        try {
            assertThat(client.listTools().tools()).hasSize(8);
            CallToolResult python = call(client, "run_code", Map.of("language", "python", "code", "print(6*7)"));
            assertThat(python.isError()).isFalse();
            assertThat(text(python)).startsWith("exit code 0 (EXITED)").contains("--- stdout ---\n42\n");

            String id = (String) ((Map<?, ?>) call(client, "create_environment", Map.of("ttl", "10m")).structuredContent()).get("id");
            assertThat(fixture.send("GET", "/v1/environments/" + id, key, null).status()).isEqualTo(200);
            assertThat(fixture.send("GET", "/v1/environments/" + id, fixture.key("other"), null).status()).isEqualTo(404);
        } finally {
            client.closeGracefully();
        }
        assertThat(fixture.log()).contains("\"tenant\":\"acme\"").contains("\"route\":\"/mcp\"");
    }

    @Test
    void aToolCallWithAProgressTokenStreamsProgressThenItsResult() throws Exception {
        String key = fixture.key("acme");
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        McpSyncClient client = client(key, progress::add);
        try {
            CallToolResult slow = client.callTool(new McpSchema.CallToolRequest("run_code", Map.of("language", "python",
                    "code", "import time\nfor i in range(3):\n    print('step', i, flush=True)\n    time.sleep(1.5)\n"
                            + "time.sleep(8)\nprint('done')"), Map.of("progressToken", "slow-1")));
            assertThat(slow.isError()).as(text(slow)).isFalse();
            assertThat(text(slow)).contains("step 2\ndone\n");
        } finally {
            client.closeGracefully();
        }
        assertThat(progress).as("every notification names the call's token").allMatch(update -> "slow-1".equals(update.progressToken()));
        assertThat(progress).extracting(McpSchema.ProgressNotification::progress).as("progress grows").isSorted().doesNotHaveDuplicates();
        assertThat(progress).extracting(McpSchema.ProgressNotification::message).as("the last line printed (earlier ones may be passed over), then beats through the silence")
                .contains("step 2").anyMatch(message -> message.matches("running for \\d+ s"));

        String quick = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\","
                + "\"arguments\":{\"argv\":[\"sh\",\"-c\",\"echo one; sleep 2; echo two\"]},\"_meta\":{\"progressToken\":42}}}";
        HttpResponse<String> streamed = post(key, null, quick);
        assertThat(streamed.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        List<String> events = List.of(streamed.body().split("\n\n"));
        assertThat(events).allMatch(event -> event.startsWith("event: message\ndata: {"));
        assertThat(events.get(0)).contains("\"method\":\"notifications/progress\"").contains("\"progressToken\":42")
                .contains("\"message\":\"one\"");
        assertThat(events.get(events.size() - 1)).contains("\"id\":7").contains("\"result\"");

        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url() + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(quick)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.headers().firstValue("Content-Type")).as("no stream for a client that takes none").hasValue("application/json");
        assertThat(plain.body()).startsWith("{").contains("\"id\":7").contains("one\\ntwo\\n");
    }

    @Test
    void noKeyIs401AndAForeignOriginIs403WhileLoopbackAndListedOriginsPass() throws Exception {
        HttpResponse<String> none = post(null, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("\"code\":\"UNAUTHENTICATED\"");

        String key = fixture.key("acme");
        HttpResponse<String> foreign = post(key, "https://evil.example.net");
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.body()).isEqualTo("{\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"origin 'https://evil.example.net' "
                + "may not use /mcp: allow it with server.mcp.allowed-origins\"}}");

        for (String origin : new String[] {null, "http://localhost:5173", "http://127.0.0.1:8080", "https://ide.example.com"}) {
            HttpResponse<String> allowed = post(key, origin);
            assertThat(allowed.statusCode()).as(String.valueOf(origin)).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(allowed.body()).contains("\"serverInfo\":{\"name\":\"stagecraft\"");
        }
    }

    @Test
    void aForeignHostIs421AndToolsListNeedsNoSessionAsTheDocsShowWithCurl() throws Exception {
        String key = fixture.key("acme");
        try (Socket socket = new Socket("127.0.0.1", fixture.server.address().getPort())) {
            socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: rebound.example.net\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + INITIALIZE.length() + "\r\nConnection: close"
                    + "\r\n\r\n" + INITIALIZE).getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 421").contains("host 'rebound.example.net' may not use /mcp");
        }

        HttpResponse<String> listed = post(key, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("\"name\":\"run_code\"");
    }

    @Test
    void getAndDeleteAre405() {
        String key = fixture.key("acme");
        assertThat(fixture.send("GET", "/mcp", key, null).status()).isEqualTo(405);
        assertThat(fixture.send("DELETE", "/mcp", key, null).status()).isEqualTo(405);
    }
}
