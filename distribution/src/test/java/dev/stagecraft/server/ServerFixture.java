package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.tck.BackendRequirement;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real server on a free loopback port over a real {@link Stagecraft} (the sandbox from the test class path) with a
 * private state folder; requests go through {@link HttpClient}, and each one and its answer are checked against the
 * OpenAPI document when the fixture closes. Configuration comes as {@code STAGECRAFT_*} overrides.
 */
final class ServerFixture implements AutoCloseable {
    /** One answer: status, headers and body (read as JSON on demand). */
    record Answer(int status, HttpResponse<byte[]> response) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        String text() {
            return new String(response.body(), StandardCharsets.UTF_8);
        }

        Optional<String> header(String name) {
            return response.headers().firstValue(name);
        }
    }

    final Stagecraft stagecraft;
    final StagecraftServer server;
    final ApiKeys keys;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<RecordedExchange> traffic = Collections.synchronizedList(new ArrayList<>());

    ServerFixture(Path state, Map<String, String> overrides) throws IOException {
        this(state, overrides, null);
    }

    /** The same, with a configuration file too (for what an override cannot say, such as a list). */
    ServerFixture(Path state, Map<String, String> overrides, Path configFile) throws IOException {
        Map<String, String> environment = new HashMap<>(overrides);
        environment.put("STAGECRAFT_STATE_DIR", state.toString());
        StagecraftConfig config = new ConfigLoader(null, environment).load(configFile);
        stagecraft = Stagecraft.builder().config(config).background(true).build();
        requireSandbox(stagecraft);
        server = StagecraftServer.start(stagecraft, ServerSettings.from(config.server()),
                new InetSocketAddress("127.0.0.1", 0), new PrintStream(log, true, StandardCharsets.UTF_8));
        keys = new ApiKeys(state, Clock.systemUTC());
    }

    /** Fails under CI, skips elsewhere, when the sandbox cannot run on this host. */
    static void requireSandbox(Stagecraft stagecraft) {
        for (ProviderReport report : stagecraft.providers()) {
            if (report.kind().equals("sandbox")) {
                if (!report.health().available()) {
                    BackendRequirement.missing("the sandbox cannot run here: " + report.health().reason());
                }
                return;
            }
        }
        throw new AssertionError("the sandbox provider is not on the test class path");
    }

    /** A new key for {@code tenant}, as {@code keys create} prints it. */
    String key(String tenant) {
        return keys.create(tenant).secret();
    }

    /** A new operator key for {@code tenant}, as {@code keys create --operator} prints it. */
    String operatorKey(String tenant) {
        return keys.create(tenant, true).secret();
    }

    /** {@code http://127.0.0.1:PORT} of the server. */
    String base() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    Answer send(String method, String path, String key, String body) {
        return sendBytes(method, path, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    Answer sendBytes(String method, String path, String key, byte[] body) {
        return sendBytes(method, path, key, body, Map.of());
    }

    /** The same, with more request headers (such as {@code Accept}). */
    Answer sendBytes(String method, String path, String key, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        headers.forEach(request::header);
        try {
            HttpRequest sent = request.build();
            HttpResponse<byte[]> response = client.send(sent, HttpResponse.BodyHandlers.ofByteArray());
            traffic.add(new RecordedExchange(method, sent.uri(), sent.headers().map(), body == null ? new byte[0] : body,
                    response.statusCode(), response.headers().map(), response.body()));
            return new Answer(response.statusCode(), response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every request sent through {@link #sendBytes} so far, with its answer. */
    List<RecordedExchange> traffic() {
        synchronized (traffic) {
            return List.copyOf(traffic);
        }
    }

    /** The request log so far, one JSON line per request. */
    String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    /**
     * Stops the server, removes every environment the test left, closes the core; then fails when any request sent
     * through this fixture, or its answer, disagrees with {@code /v1/openapi.json} ({@link OpenApiContract}).
     */
    @Override
    public void close() {
        Teardown.stop(server, stagecraft);
        checkTraffic();
    }

    /**
     * Stops the server and closes the core as a stopping {@code stagecraft serve} does, leaving the environments made
     * with {@code POST /v1/environments} to a server started next on the same state folder; checks the traffic as
     * {@link #close()} does.
     */
    void stopLeavingEnvironments() {
        server.close();
        stagecraft.close();
        checkTraffic();
    }

    private void checkTraffic() {
        List<String> problems = OpenApiContract.shipped().problems(traffic(), server.routes());
        if (!problems.isEmpty()) {
            throw new AssertionError("traffic that disagrees with /v1/openapi.json:\n" + String.join("\n", problems));
        }
    }
}
