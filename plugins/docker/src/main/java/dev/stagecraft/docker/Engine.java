package dev.stagecraft.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Engine: docker-java's client for the ordinary API calls, plus {@link EngineConnection} for the hijacked exec
 * stream, the archive stat and one-shot stats. Turns every failure into one line a person can act on.
 */
final class Engine implements Closeable {
    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** Jackson's ObjectMapper, made on first use (its class loading costs about a hundred milliseconds). */
    static ObjectMapper json() {
        return Json.MAPPER;
    }

    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final URI host;
    private final Duration apiTimeout;
    private DockerClient client;
    private boolean closed;

    /** Cheap: docker-java's client (a few hundred milliseconds of class loading) is made on its first use. */
    Engine(DockerSettings settings) {
        this.host = settings.host();
        this.apiTimeout = settings.apiTimeout();
    }

    synchronized DockerClient client() {
        if (client == null) {
            if (closed) {
                throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "the docker provider's Engine client was closed");
            }
            DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                    .withDockerHost(host.toString()).withDockerTlsVerify(false).build();
            DockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                    .maxConnections(64).connectionTimeout(Duration.ofSeconds(5))
                    .responseTimeout(apiTimeout).build();
            client = DockerClientImpl.getInstance(config, http);
        }
        return client;
    }

    URI host() {
        return host;
    }

    EngineConnection connect() throws IOException {
        return EngineConnection.open(host);
    }

    /** GET of a JSON document through a fresh connection; 404 gives null. */
    JsonNode getJson(String path) {
        try (EngineConnection c = connect()) {
            c.send("GET", path, Map.of("Connection", "close"), null);
            if (c.status() == 404) {
                return null;
            }
            String body = c.bodyText(16 << 20);
            if (c.status() / 100 != 2) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the Docker Engine answered GET " + path + " with "
                        + c.status() + ": " + engineMessage(body));
            }
            return json().readTree(body);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * A request with an optional JSON body through a fresh connection, without docker-java (for {@code describe()}'s
     * cheap path): the Engine's message when it answers with a 4xx or 5xx, null when it accepts.
     */
    String refusal(String method, String path, String json) {
        try (EngineConnection c = connect()) {
            Map<String, String> headers = json == null ? Map.of("Connection", "close")
                    : Map.of("Connection", "close", "Content-Type", "application/json");
            c.send(method, path, headers, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
            String body = c.bodyText(1 << 20);
            return c.status() / 100 == 2 ? null : engineMessage(body);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /** GET of a text body (at most {@code maxBytes}) through a fresh connection; a non-2xx status throws. */
    String getText(String path, int maxBytes) {
        try (EngineConnection c = connect()) {
            c.send("GET", path, Map.of("Connection", "close"), null);
            String body = c.bodyText(maxBytes);
            if (c.status() / 100 != 2) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the Docker Engine answered GET " + path + " with "
                        + c.status() + ": " + engineMessage(body));
            }
            return body;
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Runs a docker-java call, turning its exceptions into StagecraftExceptions with {@code code} and one line. */
    <T> T call(ErrorCode code, String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (NotFoundException e) {
            throw new StagecraftException(ErrorCode.NOT_FOUND, what + ": " + engineMessage(e.getMessage()), e);
        } catch (ConflictException e) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, what + ": " + engineMessage(e.getMessage()), e);
        } catch (DockerException e) {
            throw new StagecraftException(code, what + ": " + engineMessage(e.getMessage()), e);
        } catch (StagecraftException e) {
            throw e;
        } catch (RuntimeException e) {
            if (isConnectionFailure(e)) {
                throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, what + ": " + unreachableMessage(e), e);
            }
            throw new StagecraftException(code, what + ": " + oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    void run(ErrorCode code, String what, Runnable call) {
        call(code, what, () -> {
            call.run();
            return null;
        });
    }

    StagecraftException unreachable(IOException e) {
        return new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, unreachableMessage(e), e);
    }

    String unreachableMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return "cannot reach the Docker Engine at " + host + " (" + oneLine(String.valueOf(root.getMessage()))
                + "); is dockerd running?";
    }

    private static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The Engine's own message out of an error body or a docker-java exception text, on one line. */
    static String engineMessage(String text) {
        if (text == null) {
            return "(no message)";
        }
        Matcher m = MESSAGE.matcher(text);
        if (m.find()) {
            return oneLine(m.group(1).replace("\\\"", "\"").replace("\\n", " "));
        }
        return oneLine(text.replaceFirst("^Status \\d+: ", ""));
    }

    static String oneLine(String text) {
        return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    @Override
    public void close() {
        DockerClient made;
        synchronized (this) {
            closed = true;
            made = client;
        }
        if (made == null) {
            return;
        }
        try {
            made.close();
        } catch (IOException ignored) {
            // the connection pool is gone either way
        }
    }
}
