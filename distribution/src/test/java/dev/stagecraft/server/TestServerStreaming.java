package dev.stagecraft.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.stagecraft.tck.Deadline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed exec output ({@code Accept: application/x-ndjson}) through real HTTP with the real sandbox: lines arrive
 * while the command still runs, the result comes last without the output again, /v1/run streams and still destroys
 * its environment, and what fails before the command starts is an ordinary JSON error.
 */
class TestServerStreaming {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path state;

    private ServerFixture fixture;
    private String key;
    private final HttpClient client = HttpClient.newHttpClient();

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
    void outputArrivesWhileTheCommandRunsAndTheResultComesLast() throws Exception {
        String id = fixture.send("POST", "/v1/environments", key, "{\"security\":\"medium\"}").json().get("id").asText();
        // the command waits for a file that the test writes only after it has read the first line: without
        // streaming, that line would come with the result, after the command timed out
        HttpResponse<InputStream> response = stream("/v1/environments/" + id + "/exec",
                "{\"argv\":[\"sh\",\"-c\",\"echo first; echo oops >&2; i=0; while [ ! -e go ] && [ $i -lt 200 ]; do sleep 0.05;"
                        + " i=$((i+1)); done; echo second; exit 4\"],\"timeout\":\"30s\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains(NdjsonOutput.CONTENT_TYPE);
        List<JsonNode> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            // stdout and stderr are two pipes: "oops" may come before "first"
            for (JsonNode event = JSON.readTree(lines.readLine()); !event.toString().equals("{\"stdout\":\"first\\n\"}");
                 event = JSON.readTree(lines.readLine())) {
                assertThat(event.toString()).as("only stderr comes before the first stdout line").isEqualTo("{\"stderr\":\"oops\\n\"}");
                events.add(event);
            }
            assertThat(fixture.sendBytes("PUT", "/v1/environments/" + id + "/files/go", key, new byte[0]).status())
                    .isEqualTo(204);
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                events.add(JSON.readTree(line));
            }
        }
        assertThat(events).extracting(JsonNode::toString).contains("{\"stderr\":\"oops\\n\"}", "{\"stdout\":\"second\\n\"}");
        JsonNode last = events.get(events.size() - 1).get("result");
        assertThat(last).as("the last line is the result").isNotNull();
        assertThat(last.get("exitCode").asInt()).as("the loop saw the file: no timeout").isEqualTo(4);
        assertThat(last.get("termination").asText()).isEqualTo("EXITED");
        assertThat(last.get("environmentId").asText()).isEqualTo(id);
        assertThat(last.has("stdout")).as("output is not sent twice").isFalse();
    }

    @Test
    void runStreamsAndDestroysItsEnvironment() throws Exception {
        HttpResponse<InputStream> response = stream("/v1/run", "{\"argv\":[\"sh\",\"-c\",\"printf 'caf\\u00e9 '; echo 42\"]}");
        assertThat(response.statusCode()).isEqualTo(200);
        StringBuilder stdout = new StringBuilder();
        JsonNode result = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                JsonNode event = JSON.readTree(line);
                if (event.has("stdout")) {
                    stdout.append(event.get("stdout").asText());
                }
                result = event.has("result") ? event.get("result") : result;
            }
        }
        assertThat(stdout.toString()).isEqualTo("café 42\n");
        assertThat(result).isNotNull();
        assertThat(result.get("provider").asText()).isEqualTo("sandbox");
        assertThat(result.get("exitCode").asInt()).isZero();
        assertThat(fixture.stagecraft.manager().list(Optional.empty(), Map.of())).as("the run's environment is gone").isEmpty();
        // the log line follows the answer's last byte: wait for it
        Deadline.await(Duration.ofSeconds(10), "the run's request log line",
                () -> fixture.log().contains("\"route\":\"/v1/run\",\"status\":200"));
    }

    @Test
    void outputThatIsNotUtf8ArrivesExactlyStreamedAndBuffered() throws Exception {
        String exec = "{\"argv\":[\"sh\",\"-c\",\"printf 'caf\\\\303\\\\251 \\\\377\\\\000\\\\001'\"]}";
        byte[] expected = {'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xff, 0, 1};
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        HttpResponse<InputStream> response = stream("/v1/run", exec);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode result = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                JsonNode event = JSON.readTree(line);
                if (event.has("stdout")) {
                    streamed.write(event.get("stdout").asText().getBytes(StandardCharsets.UTF_8));
                } else if (event.has("stdoutBase64")) {
                    streamed.write(Base64.getDecoder().decode(event.get("stdoutBase64").asText()));
                }
                result = event.has("result") ? event.get("result") : result;
            }
        }
        assertThat(streamed.toByteArray()).isEqualTo(expected);
        assertThat(result.has("stdoutBase64")).as("output is not sent twice").isFalse();

        JsonNode buffered = fixture.send("POST", "/v1/run", key, exec).json();
        assertThat(Base64.getDecoder().decode(buffered.get("stdoutBase64").asText())).isEqualTo(expected);
        assertThat(buffered.get("stdout").asText()).as("the text beside it").isEqualTo("café \uFFFD\u0000\u0001");
        assertThat(buffered.has("stderrBase64")).as("only for output that is not UTF-8").isFalse();
    }

    @Test
    void whatFailsBeforeTheCommandStartsIsAnOrdinaryError() throws Exception {
        HttpResponse<InputStream> missing = stream("/v1/environments/no-such-env/exec", "{\"argv\":[\"true\"]}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode error = JSON.readTree(missing.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("NOT_FOUND");

        HttpResponse<InputStream> bad = stream("/v1/run", "{\"argv\":[]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("error").get("code").asText()).isEqualTo("INVALID_REQUIREMENT");
    }

    private HttpResponse<InputStream> stream(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.server.address().getPort() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
                .header("Accept", NdjsonOutput.CONTENT_TYPE).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    }
}
