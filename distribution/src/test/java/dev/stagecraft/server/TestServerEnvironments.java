package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.server.ServerFixture.Answer;
import dev.stagecraft.tck.Deadline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Environments through real HTTP on loopback, with the real sandbox: create, list, get, exec, files, stop, start, delete, run. */
class TestServerEnvironments {
    @TempDir
    Path state;

    private ServerFixture fixture;
    private String key;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServerFixture(state, Map.of());
        key = fixture.key("acme");
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void createListGetExecFilesDeleteRoundTrip() {
        Answer created = fixture.send("POST", "/v1/environments", key,
                "{\"security\":\"medium\",\"memory\":\"256m\",\"ttl\":\"10m\",\"labels\":{\"job\":\"42\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().get("id").asText();
        assertThat(created.json().get("kind").asText()).isEqualTo("sandbox");
        assertThat(created.json().get("labels").toString()).isEqualTo("{\"job\":\"42\"}");
        assertThat(created.header("Location")).contains("/v1/environments/" + id);

        Answer listed = fixture.send("GET", "/v1/environments?label=job=42", key, null);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.json()).hasSize(1);
        assertThat(listed.json().get(0).get("id").asText()).isEqualTo(id);
        assertThat(fixture.send("GET", "/v1/environments?label=job=43", key, null).json()).isEmpty();

        Answer exec = fixture.send("POST", "/v1/environments/" + id + "/exec", key,
                "{\"argv\":[\"sh\",\"-c\",\"cat; echo \\\"$GREETING\\\" >&2; exit 3\"],\"stdin\":\"from stdin\",\"env\":{\"GREETING\":\"hello\"}}");
        assertThat(exec.status()).as(exec.text()).isEqualTo(200);
        assertThat(exec.json().get("exitCode").asInt()).isEqualTo(3);
        assertThat(exec.json().get("stdout").asText()).isEqualTo("from stdin");
        assertThat(exec.json().get("stderr").asText()).isEqualTo("hello\n");
        assertThat(exec.json().get("termination").asText()).isEqualTo("EXITED");

        byte[] content = {0, 1, 2, (byte) 0xff, 'x'};
        Answer put = fixture.sendBytes("PUT", "/v1/environments/" + id + "/files/in/data.bin", key, content);
        assertThat(put.status()).as(put.text()).isEqualTo(204);
        Answer wc = fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"wc\",\"-c\",\"in/data.bin\"]}");
        assertThat(wc.json().get("stdout").asText().trim()).isEqualTo("5 in/data.bin");
        Answer got = fixture.send("GET", "/v1/environments/" + id + "/files/in/data.bin", key, null);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.response().body()).isEqualTo(content);

        Answer status = fixture.send("GET", "/v1/environments/" + id, key, null);
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.json().get("status").asText()).isEqualTo("READY");
        assertThat(status.json().has("usage")).as(status.text()).isTrue();

        assertThat(fixture.send("DELETE", "/v1/environments/" + id, key, null).status()).isEqualTo(204);
        assertThat(fixture.send("GET", "/v1/environments/" + id, key, null).status()).isEqualTo(404);
        assertThat(fixture.send("GET", "/v1/environments", key, null).json()).isEmpty();
    }

    @Test
    void stopThenStartKeepsTheWorkspace() {
        String id = fixture.send("POST", "/v1/environments", key, "{}").json().get("id").asText();
        fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"sh\",\"-c\",\"echo kept > note\"]}");
        Answer stopped = fixture.send("POST", "/v1/environments/" + id + "/stop", key, null);
        assertThat(stopped.status()).as(stopped.text()).isEqualTo(200);
        assertThat(stopped.json().get("status").asText()).isEqualTo("STOPPED");
        Answer started = fixture.send("POST", "/v1/environments/" + id + "/start", key, null);
        assertThat(started.status()).as(started.text()).isEqualTo(200);
        assertThat(started.json().get("status").asText()).isEqualTo("READY");
        Answer cat = fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"cat\",\"note\"]}");
        assertThat(cat.json().get("stdout").asText()).isEqualTo("kept\n");
    }

    @Test
    void runSelectsCreatesExecsAndRemovesInOneCall() {
        Answer run = fixture.send("POST", "/v1/run", key,
                "{\"requirement\":{\"security\":\"medium\"},\"argv\":[\"sh\",\"-c\",\"echo hi\"],\"timeout\":\"20s\"}");
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        assertThat(run.json().get("stdout").asText()).isEqualTo("hi\n");
        assertThat(run.json().get("exitCode").asInt()).isZero();
        assertThat(run.json().get("provider").asText()).isEqualTo("sandbox");
        assertThat(fixture.stagecraft.manager().list(java.util.Optional.empty(), Map.of())).isEmpty();

        Answer binary = fixture.send("POST", "/v1/run", key, "{\"argv\":[\"od\",\"-An\",\"-tx1\"],\"stdinBase64\":\""
                + java.util.Base64.getEncoder().encodeToString("\u0001A".getBytes(StandardCharsets.UTF_8)) + "\"}");
        assertThat(binary.json().get("stdout").asText().trim()).isEqualTo("01 41");
    }

    @Test
    void selectExplainsProvidersPoolsAndProbesAnswer() {
        Answer select = fixture.send("POST", "/v1/select", key, "{\"security\":\"medium\"}");
        assertThat(select.status()).as(select.text()).isEqualTo(200);
        assertThat(select.json().get("chosen").asText()).isEqualTo("sandbox");
        assertThat(select.json().get("candidates").findValuesAsText("kind")).contains("sandbox");
        assertThat(select.json().get("explanation").asText()).startsWith("selected: sandbox");

        JsonNode providers = fixture.send("GET", "/v1/providers", key, null).json();
        assertThat(providers.findValuesAsText("kind")).contains("sandbox");
        assertThat(fixture.send("GET", "/v1/pools", key, null).json().isArray()).isTrue();
        assertThat(fixture.send("GET", "/healthz", null, null).json().get("status").asText()).isEqualTo("ok");
        Answer ready = fixture.send("GET", "/readyz", null, null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().get("providers").toString()).contains("\"sandbox\"");
    }

    @Test
    void everyRequestIsOneJsonLogLineWithTheRouteTemplateNotTheId() {
        fixture.send("GET", "/v1/environments/sc-nothere", key, null);
        // the line is written once the answer has gone, so it may trail the client's return
        Deadline.await(Duration.ofSeconds(10), "a request log line", () -> !fixture.log().isEmpty());
        String line = fixture.log().lines().reduce((first, second) -> second).orElseThrow();
        assertThat(line).contains("\"tenant\":\"acme\"", "\"method\":\"GET\"", "\"route\":\"/v1/environments/{id}\"",
                "\"status\":404", "\"durationMs\":", "\"keyId\":\"", "\"time\":\"").doesNotContain("sc-nothere");
    }

    @Test
    void stoppingLetsARunningRequestFinishAndRefusesNewOnes() throws Exception {
        String id = fixture.send("POST", "/v1/environments", key, "{}").json().get("id").asText();
        java.util.concurrent.CompletableFuture<Answer> slow = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                fixture.send("POST", "/v1/environments/" + id + "/exec", key, "{\"argv\":[\"sh\",\"-c\",\"sleep 2; echo done\"]}"));
        while (!fixture.log().contains("\"route\":\"/v1/environments\"") || fixture.stagecraft.manager().status(id).status()
                != dev.stagecraft.api.EnvironmentStatus.RUNNING) {
            Thread.sleep(20);
        }
        long started = System.nanoTime();
        fixture.server.close();
        assertThat(slow.get().status()).isEqualTo(200);
        assertThat(slow.get().json().get("stdout").asText()).isEqualTo("done\n");
        assertThat((System.nanoTime() - started) / 1_000_000).as("waited for the exec, not the whole grace").isLessThan(10_000);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> fixture.send("GET", "/healthz", null, null))
                .isInstanceOf(java.io.UncheckedIOException.class);
    }
}
