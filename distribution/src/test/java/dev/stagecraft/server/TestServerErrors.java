package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every failure is one JSON shape with the right status, naming what is wrong, and never a stack trace. */
class TestServerErrors {
    @TempDir
    Path state;

    private ServerFixture fixture;
    private String key;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__MAX_FILE_SIZE", "1k",
                "STAGECRAFT_SERVER__MAX_REQUEST_SIZE", "2k"));
        key = fixture.key("acme");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private static void assertError(Answer answer, int status, String code, String message) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(answer.header("Content-Type")).contains("application/json");
        JsonNode error = answer.json().get("error");
        assertThat(answer.json().size()).isEqualTo(1);
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
    }

    @Test
    void badFieldsAre400NamingTheField() {
        assertError(fixture.send("POST", "/v1/environments", key, "{\"cpus\":\"many\"}"), 400, "INVALID_REQUIREMENT",
                "request body: cpus: 'many' is not a number");
        assertError(fixture.send("POST", "/v1/environments", key, "{\"memory\":\"lots\"}"), 400, "INVALID_REQUIREMENT",
                "request body: memory: 'lots' is not a size (e.g. 512m, 2g)");
        assertError(fixture.send("POST", "/v1/environments", key, "{\"security\":\"extreme\"}"), 400, "INVALID_REQUIREMENT",
                "request body: security: unknown security level 'extreme' (expected one of low, medium, high, critical)");
        assertError(fixture.send("POST", "/v1/environments", key, "{\"colour\":\"red\"}"), 400, "INVALID_REQUIREMENT",
                "request body: colour: unknown field (known: allowCidrs, allowHosts, cpus, disk, expectedDuration, gpus, "
                        + "isolation, labels, memory, network, options, persistent, provider, security, toolType, ttl)");
        assertError(fixture.send("POST", "/v1/run", key, "{\"requirement\":{\"ttl\":\"soon\"},\"argv\":[\"true\"]}"), 400,
                "INVALID_REQUIREMENT", "request body: requirement: ttl: 'soon' is not a duration (e.g. 30s, 5m)");
        assertError(fixture.send("POST", "/v1/run", key, "{\"argv\":[]}"), 400, "INVALID_REQUIREMENT",
                "request body: argv: a command is required, e.g. [\"sh\", \"-c\", \"echo hi\"]");
        assertError(fixture.send("POST", "/v1/run", key, "{\"argv\":[\"true\"],\"stdinBase64\":\"***\"}"), 400,
                "INVALID_REQUIREMENT", "request body: stdinBase64: Illegal base64 character 2a");
    }

    @Test
    void badJsonIs400WithWhere() {
        Answer answer = fixture.send("POST", "/v1/environments", key, "{\"cpus\": ");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("error").get("code").asText()).isEqualTo("INVALID_REQUIREMENT");
        assertThat(answer.json().get("error").get("message").asText()).startsWith("request body: not valid JSON at line 1, column ");
        assertError(fixture.send("POST", "/v1/environments", key, "[1]"), 400, "INVALID_REQUIREMENT",
                "request body: must be a JSON object");
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405() {
        assertError(fixture.send("GET", "/v1/nothing", key, null), 404, "NOT_FOUND", "no route /v1/nothing");
        assertError(fixture.send("GET", "/index.html", null, null), 404, "NOT_FOUND", "no route /index.html");
        Answer wrong = fixture.send("PATCH", "/v1/environments", key, "{}");
        assertError(wrong, 405, "UNSUPPORTED_OPERATION", "PATCH is not allowed on /v1/environments (allowed: POST, GET)");
        assertError(fixture.send("GET", "/v1/environments/sc-nothere", key, null), 404, "NOT_FOUND",
                "no environment with id 'sc-nothere'");
    }

    @Test
    void aFileOrBodyTooLargeIs413AndAPathOutOfTheWorkspaceIs400() {
        String id = fixture.send("POST", "/v1/environments", key, "{}").json().get("id").asText();
        assertError(fixture.sendBytes("PUT", "/v1/environments/" + id + "/files/big", key, new byte[1025]), 413,
                "TOO_LARGE", "the file is larger than 1024 bytes");
        assertThat(fixture.sendBytes("PUT", "/v1/environments/" + id + "/files/fits", key, new byte[1024]).status()).isEqualTo(204);
        fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"sh\",\"-c\",\"head -c 2000 /dev/zero > made\"]}");
        assertError(fixture.send("GET", "/v1/environments/" + id + "/files/made", key, null), 413, "TOO_LARGE",
                "made is larger than 1024 bytes");
        assertError(fixture.send("POST", "/v1/environments", key, "{\"toolType\":\"" + "x".repeat(3000) + "\"}"), 413,
                "TOO_LARGE", "the request body is larger than 2048 bytes");
        Answer escape = fixture.send("GET", "/v1/environments/" + id + "/files/..%2F..%2Fetc%2Fpasswd", key, null);
        assertThat(escape.status()).as(escape.text()).isEqualTo(400);
        assertThat(escape.json().get("error").get("code").asText()).isEqualTo("PATH_ESCAPE");
    }

    @Test
    void execOnAStoppedEnvironmentIs409() {
        String id = fixture.send("POST", "/v1/environments", key, "{}").json().get("id").asText();
        assertThat(fixture.send("POST", "/v1/environments/" + id + "/stop", key, null).status()).isEqualTo(200);
        assertError(fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"true\"]}"), 409,
                "ILLEGAL_STATE", "environment '" + id + "' is STOPPED: POST /v1/environments/" + id + "/start first");
    }
}
