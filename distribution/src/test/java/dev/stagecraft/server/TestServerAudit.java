package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Labels;
import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit of critical-level work through real HTTP and MCP: one JSON line per request with the tenant and key id,
 * never the key, in a file only its owner reads.
 */
class TestServerAudit {
    private static final String NDJSON = "application/x-ndjson";

    @TempDir
    Path state;

    private List<JsonNode> audit(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            return lines;
        }
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(file)) {
            lines.add(json.readTree(line));
        }
        return lines;
    }

    private static String keyId(String key) {
        return key.substring(3, key.indexOf('_', 3));
    }

    @Test
    void aCriticalCreateOrRunThatNoProviderServesIsStillAudited() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            String key = fixture.key("acme");
            Path file = state.resolve("server/audit.jsonl");
            assertThat(audit(file)).as("the file is made when the server starts").isEmpty();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");

            Instant before = Instant.now();
            Answer create = fixture.send("POST", "/v1/environments", key, "{\"security\":\"critical\"}");
            assertThat(create.status()).as("no VM kind is loaded in these tests: " + create.text()).isEqualTo(503);
            Answer run = fixture.send("POST", "/v1/run", key,
                    "{\"argv\":[\"python3\",\"-c\",\"print(1)\"],\"stdin\":\"not-for-the-audit\",\"requirement\":{\"security\":\"critical\"}}");
            assertThat(run.status()).isEqualTo(503);
            assertThat(fixture.send("POST", "/v1/run", key, "{\"argv\":[\"true\"]}").status()).as("medium: not audited")
                    .isEqualTo(200);

            List<JsonNode> lines = audit(file);
            assertThat(lines).hasSize(2);
            JsonNode created = lines.get(0);
            assertThat(Instant.parse(created.get("time").asText())).isAfterOrEqualTo(before.minusSeconds(1));
            assertThat(created.get("tenant").asText()).isEqualTo("acme");
            assertThat(created.get("keyId").asText()).isEqualTo(keyId(key));
            assertThat(created.get("route").asText()).isEqualTo("POST /v1/environments");
            assertThat(created.get("level").asText()).isEqualTo("critical");
            assertThat(created.get("environment").asText()).isEmpty();
            assertThat(created.get("status").asInt()).isEqualTo(503);
            assertThat(created.get("error").asText()).isEqualTo("NO_PROVIDER");
            JsonNode ran = lines.get(1);
            assertThat(ran.get("route").asText()).isEqualTo("POST /v1/run");
            assertThat(ran.get("argv").toString()).isEqualTo("[\"python3\",\"-c\",\"print(1)\"]");
            assertThat(ran.get("status").asInt()).isEqualTo(503);
            assertThat(ran.get("error").asText()).isEqualTo("NO_PROVIDER");
            assertThat(ran.has("exitCode")).isFalse();
            String text = Files.readString(file);
            assertThat(text).doesNotContain(key).doesNotContain(key.substring(16)).doesNotContain("not-for-the-audit");
        }
    }

    @Test
    void workInACriticalEnvironmentIsAuditedOverHttpAndMcp() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            String key = fixture.key("acme");
            String stranger = fixture.key("other");
            // No VM kind is loaded in these tests, so a sandbox carrying the critical level's label stands for a VM: the
            // server knows an existing environment's level only from that label.
            String id = fixture.stagecraft.manager().create(EnvironmentRequirement.builder().ttl(Duration.ofMinutes(10)).build(),
                    Map.of(Tenants.LABEL, "acme", Labels.SECURITY_LEVEL, "critical")).id();
            String medium = fixture.send("POST", "/v1/environments", key, "{}").json().get("id").asText();
            String at = "/v1/environments/" + id;

            Answer exec = fixture.send("POST", at + "/exec", key, "{\"argv\":[\"sh\",\"-c\",\"exit 3\"],\"stdin\":\"not-for-the-audit\"}");
            assertThat(exec.json().get("exitCode").asInt()).isEqualTo(3);
            Answer streamed = fixture.sendBytes("POST", at + "/exec", key, "{\"argv\":[\"echo\",\"hi\"]}".getBytes(StandardCharsets.UTF_8),
                    Map.of("Accept", NDJSON));
            assertThat(streamed.text()).contains("{\"stdout\":\"hi\\n\"}");
            assertThat(fixture.sendBytes("PUT", at + "/files/in/data.txt", key, "x".getBytes(StandardCharsets.UTF_8)).status())
                    .isEqualTo(204);
            assertThat(fixture.send("GET", at + "/files/in/data.txt", key, null).status()).isEqualTo(200);
            assertThat(fixture.send("GET", at + "/files/absent", key, null).status()).isEqualTo(404);
            List<String> many = new ArrayList<>(List.of("echo", "y".repeat(5000)));
            many.addAll(Collections.nCopies(150, "z"));
            String manyJson = new ObjectMapper().writeValueAsString(Map.of("argv", many));
            assertThat(fixture.send("POST", at + "/exec", key, manyJson).status()).isEqualTo(200);
            Answer mcp = fixture.sendBytes("POST", "/mcp", key, ("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
                    + "{\"name\":\"exec\",\"arguments\":{\"id\":\"" + id + "\",\"command\":\"echo mcp\"}}}").getBytes(StandardCharsets.UTF_8),
                    Map.of("Accept", "application/json, text/event-stream"));
            assertThat(mcp.text()).contains("exit code 0");
            assertThat(fixture.send("POST", "/v1/environments/" + medium + "/exec", key, "{\"argv\":[\"true\"]}").status())
                    .as("medium: not audited").isEqualTo(200);
            assertThat(fixture.send("POST", at + "/exec", stranger, "{\"argv\":[\"true\"]}").status())
                    .as("another tenant's request learns nothing, and is not this environment's work").isEqualTo(404);
            assertThat(fixture.send("DELETE", at, key, null).status()).isEqualTo(204);

            List<JsonNode> lines = audit(state.resolve("server/audit.jsonl"));
            assertThat(lines).extracting(line -> line.has("route") ? line.get("route").asText() : "tool " + line.get("tool").asText())
                    .containsExactly("POST /v1/environments/{id}/exec", "POST /v1/environments/{id}/exec",
                            "PUT /v1/environments/{id}/files/{path...}", "GET /v1/environments/{id}/files/{path...}",
                            "GET /v1/environments/{id}/files/{path...}", "POST /v1/environments/{id}/exec", "tool exec",
                            "DELETE /v1/environments/{id}");
            for (JsonNode line : lines) {
                assertThat(line.get("tenant").asText()).isEqualTo("acme");
                assertThat(line.get("keyId").asText()).isEqualTo(keyId(key));
                assertThat(line.get("environment").asText()).isEqualTo(id);
                assertThat(line.get("kind").asText()).isEqualTo("sandbox");
                assertThat(line.get("level").asText()).isEqualTo("critical");
            }
            assertThat(lines.get(0).get("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"exit 3\"]");
            assertThat(lines.get(0).get("exitCode").asInt()).isEqualTo(3);
            assertThat(lines.get(0).get("termination").asText()).isEqualTo("EXITED");
            assertThat(lines.get(0).get("status").asInt()).isEqualTo(200);
            assertThat(lines.get(1).get("exitCode").asInt()).as("a streamed exec: its exit code, not only its 200").isZero();
            assertThat(lines.get(2).get("path").asText()).isEqualTo("in/data.txt");
            assertThat(lines.get(2).get("status").asInt()).isEqualTo(204);
            assertThat(lines.get(4).get("path").asText()).isEqualTo("absent");
            assertThat(lines.get(4).get("status").asInt()).isEqualTo(404);
            assertThat(lines.get(4).get("error").asText()).isEqualTo("NOT_FOUND");
            JsonNode cut = lines.get(5).get("argv");
            assertThat(cut).hasSize(101);
            assertThat(cut.get(1).asText()).isEqualTo("y".repeat(1000) + "...[4000 more characters]");
            assertThat(cut.get(100).asText()).isEqualTo("...[52 more arguments]");
            JsonNode tool = lines.get(6);
            assertThat(tool.get("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"echo mcp\"]");
            assertThat(tool.get("exitCode").asInt()).isZero();
            assertThat(tool.has("status")).isFalse();
            assertThat(Files.readString(state.resolve("server/audit.jsonl"))).doesNotContain(key.substring(16))
                    .doesNotContain("not-for-the-audit");
        }
    }

    @Test
    void theAuditLogGoesWhereTheConfigurationSays() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__AUDIT_LOG", "logs/critical.jsonl"))) {
            String key = fixture.key("acme");
            assertThat(fixture.send("POST", "/v1/environments", key, "{\"security\":\"critical\"}").status()).isEqualTo(503);
            Path file = state.resolve("logs/critical.jsonl");
            assertThat(audit(file)).hasSize(1);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(state.resolve("server/audit.jsonl")).doesNotExist();
        }
    }
}
