package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.core.selection.Selection;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A server whose only kind serves one security level, with a warm pool of 2 Python environments at that level, and
 * the two requests the front is measured with: {@code POST /v1/run} streamed (NDJSON: its first line is the output)
 * and MCP {@code tools/call run_code} over {@code /mcp} (whose answer comes whole). Each sample first waits for the
 * pool to be full again, so that every request takes a warm environment.
 */
final class FrontLevel implements AutoCloseable {
    static final String POOL = "py";
    private static final String TENANT = "bench";

    private final BenchServer server;
    private final String security;
    private final HttpRequest run;
    private final HttpRequest mcp;

    private FrontLevel(BenchServer server, String security) {
        this.server = server;
        this.security = security;
        this.run = server.request(TENANT, "/v1/run").header("Accept", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"argv\":[\"python3\",\"-c\",\"print(1)\"],"
                        + "\"requirement\":{\"toolType\":\"python\",\"security\":\"" + security + "\"}}")).build();
        this.mcp = server.request(TENANT, "/mcp").header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                        + "\"params\":{\"name\":\"run_code\",\"arguments\":{\"language\":\"python\",\"code\":\"print(1)\","
                        + "\"security\":\"" + security + "\"}}}")).build();
    }

    /** A server offering only what {@code yaml} leaves enabled, with the pool at {@code security}. */
    static FrontLevel start(String security, String yaml) throws IOException {
        return new FrontLevel(BenchServer.start("front-" + security, yaml + "pools:\n  " + POOL
                + ":\n    size: 2\n    tool-type: python\n    security: " + security + "\n"
                + BenchServer.unthrottled(1000), List.of(TENANT)), security);
    }

    /** Why this level cannot be measured here (nothing selected, or the pool never filled); empty when it can. */
    Optional<String> unavailable(Duration fill) {
        Selection selection = server.stagecraft().select(EnvironmentRequirement.builder().toolType("python")
                .securityLevel(SecurityLevel.valueOf(security.toUpperCase(Locale.ROOT))).build());
        if (selection.chosenKind().isEmpty()) {
            return Optional.of(selection.noProviderMessage());
        }
        try {
            BenchStagecraft.awaitPool(server.stagecraft(), POOL, 2, fill);
            run();
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(selection.chosenKind().get() + ": " + e.getMessage());
        }
    }

    double run() {
        return firstLine(run, "{\"stdout\":\"1\\n\"}");
    }

    double mcp() {
        return firstLine(mcp, "\"stdout\":\"1\\n\"");
    }

    /**
     * With the pool full again, the request sent until its first line of body, which must hold {@code expected};
     * the rest of the answer is read outside the figure.
     */
    private double firstLine(HttpRequest request, String expected) {
        BenchStagecraft.awaitPool(server.stagecraft(), POOL, 2, Duration.ofSeconds(120));
        long start = System.nanoTime();
        HttpResponse<InputStream> response = server.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            StringBuilder first = new StringBuilder();
            for (int b = body.read(); b >= 0 && b != '\n'; b = body.read()) {
                first.append((char) b);
            }
            double ms = (System.nanoTime() - start) / 1e6;
            String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            if (response.statusCode() != 200 || !(first + rest).contains(expected)) {
                throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": " + first + rest);
            }
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Warm-pool hits so far, from the server's own metrics. */
    long poolHits() {
        String metrics = server.send(HttpRequest.newBuilder(java.net.URI.create(server.base() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("stagecraft_pool_acquires_total{") && l.contains("result=\"hit\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Fails unless every one of the {@code requests} measured took a warm environment. */
    void requireAllWarm(long requests) {
        long hits = poolHits();
        if (hits < requests) {
            throw new IllegalStateException("only " + hits + " of the " + security + " front's " + requests
                    + " requests took a warm environment");
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
