package dev.stagecraft.bench;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.server.ApiKeys;
import dev.stagecraft.server.ServerSettings;
import dev.stagecraft.server.StagecraftServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Latency through the service front: an HTTP request to the first byte of output of untrusted
 * {@code python3 -c 'print(1)'} at the medium level (sandbox, from a warm pool), streamed ({@code /v1/run} with
 * NDJSON: the first line is the output) and through MCP ({@code run_code} over {@code /mcp}, whose answer comes
 * whole), against the same command in bare bubblewrap (process start to the first byte on its stdout), measured in
 * the same run. Each front sample waits for the pool to be full again first, so that every request takes a warm
 * environment; {@code iterations x 40} samples each, p50 and p99.
 */
final class FrontSuite extends BenchSuite {
    private static final String POOL = "py";
    private static final String RUN = "{\"argv\":[\"python3\",\"-c\",\"print(1)\"],"
            + "\"requirement\":{\"toolType\":\"python\",\"security\":\"medium\"}}";
    private static final String MCP = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\","
            + "\"arguments\":{\"language\":\"python\",\"code\":\"print(1)\",\"security\":\"medium\"}}}";

    FrontSuite(int iterations, int seconds, int threads) {
        super(iterations, seconds, threads);
    }

    @Override
    List<String> run() {
        int samples = iterations * 40;
        // the sandbox is the only kind offered, so that a python request at medium selects it and matches the pool
        try (Stagecraft stagecraft = BenchStagecraft.start("front", "disabled-providers: [docker, kvm]\n"
                + "pools:\n  " + POOL + ":\n    size: 2\n    tool-type: python\n    security: medium\n"
                + "server:\n  rate-limit:\n    requests-per-second: 100000\n    burst: 100000\n");
             StagecraftServer server = StagecraftServer.start(stagecraft, ServerSettings.from(stagecraft.config().server()),
                     new InetSocketAddress("127.0.0.1", 0), new PrintStream(OutputStream.nullOutputStream()))) {
            String key = new ApiKeys(stagecraft.config().stateDirectory(), Clock.systemUTC()).create("bench").secret();
            String base = "http://127.0.0.1:" + server.address().getPort();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest run = HttpRequest.newBuilder(URI.create(base + "/v1/run")).header("Authorization", "Bearer " + key)
                    .header("Accept", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(RUN)).build();
            HttpRequest mcp = HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Authorization", "Bearer " + key)
                    .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(MCP)).build();
            List<String> bare = new ArrayList<>(BareCommands.BWRAP_TRUE.subList(0, BareCommands.BWRAP_TRUE.size() - 1));
            bare.addAll(List.of("python3", "-c", "print(1)"));

            double[] bareMs = new double[samples];
            double[] runMs = new double[samples];
            double[] mcpMs = new double[samples];
            for (int warmUp = 0; warmUp < 20; warmUp++) {
                bareFirstByte(bare);
                frontFirstLine(stagecraft, client, run, "{\"stdout\":\"1\\n\"}");
                frontFirstLine(stagecraft, client, mcp, "\"stdout\":\"1\\n\"");
            }
            for (int i = 0; i < samples; i++) {
                bareMs[i] = bareFirstByte(bare);
                runMs[i] = frontFirstLine(stagecraft, client, run, "{\"stdout\":\"1\\n\"}");
                mcpMs[i] = frontFirstLine(stagecraft, client, mcp, "\"stdout\":\"1\\n\"");
            }
            long hits = poolHits(client, base);
            if (hits < 2L * samples) {
                throw new IllegalStateException("only " + hits + " of the front's requests took a warm environment");
            }
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "== Stagecraft front: request to the first byte of python3 -c 'print(1)'"
                    + " at medium (sandbox, warm pool), %d samples each, same run ==", samples));
            lines.add(line("bare bwrap (process start to first byte)", bareMs, null));
            lines.add(line("POST /v1/run, NDJSON, to the output line", runMs, bareMs));
            lines.add(line("MCP tools/call run_code over /mcp (whole answer)", mcpMs, bareMs));
            lines.add("  goal: <= 40 ms at the median through the front");
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Process start to the first byte on its stdout; the rest is read and the exit awaited outside the figure. */
    private static double bareFirstByte(List<String> command) {
        try {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            InputStream out = process.getInputStream();
            int first = out.read();
            double ms = (System.nanoTime() - start) / 1e6;
            byte[] rest = out.readAllBytes();
            if (process.waitFor() != 0 || first != '1') {
                throw new IllegalStateException("bare bwrap python3 failed: " + (char) first + new String(rest, StandardCharsets.UTF_8));
            }
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * With the pool full again, the request sent until its first line of body, which must hold {@code expected};
     * the rest of the answer is read outside the figure.
     */
    private static double frontFirstLine(Stagecraft stagecraft, HttpClient client, HttpRequest request, String expected) {
        BenchStagecraft.awaitPool(stagecraft, POOL, 2, Duration.ofSeconds(60));
        long start = System.nanoTime();
        HttpResponse<InputStream> response = send(client, request, HttpResponse.BodyHandlers.ofInputStream());
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

    private static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return client.send(request, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Warm-pool hits so far, from the server's own metrics. */
    private static long poolHits(HttpClient client, String base) {
        String metrics = send(client, HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("stagecraft_pool_acquires_total{") && l.contains("result=\"hit\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static String line(String what, double[] ms, double[] bare) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double p50 = percentile(sorted, 0.50);
        double p99 = percentile(sorted, 0.99);
        String ratio = "";
        if (bare != null) {
            double[] bareSorted = bare.clone();
            Arrays.sort(bareSorted);
            ratio = String.format(Locale.ROOT, "  (%.2fx / %.2fx bare)", p50 / percentile(bareSorted, 0.50),
                    p99 / percentile(bareSorted, 0.99));
        }
        return String.format(Locale.ROOT, "  %-50s p50 %7.2f ms  p99 %7.2f ms%s", what, p50, p99, ratio);
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
