package dev.stagecraft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.server.ApiKeys;
import dev.stagecraft.server.ServerSettings;
import dev.stagecraft.server.StagecraftServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code stagecraft serve} in this process for a benchmark: an embedded Stagecraft configured by its YAML with an
 * owner of its own ({@code bench-<random>}, so that what it leaves in a shared backend is told apart from other
 * users'), a server on a free loopback port with no request log, one API key per tenant, and an HTTP/1.1 client.
 * Closing stops the server, then the Stagecraft.
 */
final class BenchServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Stagecraft stagecraft;
    private final StagecraftServer server;
    private final Map<String, String> keys = new LinkedHashMap<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();

    private BenchServer(Stagecraft stagecraft, StagecraftServer server) {
        this.stagecraft = stagecraft;
        this.server = server;
    }

    /** A server for {@code tenants} over a Stagecraft configured by {@code yaml}, with the rate limit lifted. */
    static BenchServer start(String name, String yaml, List<String> tenants) throws IOException {
        String owner = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Stagecraft stagecraft = BenchStagecraft.start(name, "owner: " + owner + "\n" + yaml);
        try {
            StagecraftServer server = StagecraftServer.start(stagecraft, ServerSettings.from(stagecraft.config().server()),
                    new InetSocketAddress("127.0.0.1", 0), new PrintStream(OutputStream.nullOutputStream()));
            BenchServer bench = new BenchServer(stagecraft, server);
            ApiKeys apiKeys = new ApiKeys(stagecraft.config().stateDirectory(), Clock.systemUTC());
            for (String tenant : tenants) {
                bench.keys.put(tenant, apiKeys.create(tenant).secret());
            }
            return bench;
        } catch (IOException | RuntimeException e) {
            stagecraft.close();
            throw e;
        }
    }

    /** The server section that lifts the rate limit and lets each tenant hold {@code environments} at once. */
    static String unthrottled(int environments) {
        return "server:\n  max-environments: " + environments
                + "\n  rate-limit:\n    requests-per-second: 1000000\n    burst: 1000000\n";
    }

    Stagecraft stagecraft() {
        return stagecraft;
    }

    HttpClient client() {
        return client;
    }

    String base() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    /** A request to {@code path} carrying {@code tenant}'s key. */
    HttpRequest.Builder request(String tenant, String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + keys.get(tenant));
    }

    static HttpRequest.BodyPublisher json(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + body, e);
        }
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return client.send(request, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            stagecraft.close();
        }
    }
}
