package dev.stagecraft.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

/**
 * {@code --server}: the command line's requests to a running {@code stagecraft serve} (docs/server.md), on the JDK's
 * HTTP client, with the key from {@code $STAGECRAFT_API_KEY}. What the server refuses, in its one error shape
 * {@code {"error":{"code","message"}}}, becomes the {@link StagecraftException} of that code, so the command line
 * prints it and exits as it does for the same failure made here. A server that cannot be reached, that does not
 * answer as Stagecraft, or that refuses the key is an {@link Unusable} failure instead: exit code
 * {@link ExitCodes#SERVER}.
 */
final class ServerClient {
    static final String SERVER_VARIABLE = "STAGECRAFT_SERVER";
    static final String KEY_VARIABLE = "STAGECRAFT_API_KEY";
    private static final String NDJSON = "application/x-ndjson";
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() { };
    private static final TypeReference<List<Map<String, Object>>> LIST = new TypeReference<>() { };

    /** The server cannot be used at all: unreachable, not a Stagecraft answer, or no key it accepts. */
    static final class Unusable extends StagecraftException {
        Unusable(ErrorCode code, String message) {
            super(code, message);
        }
    }

    /** A command that ran through the server: the environment's kind and id, and how it ended. */
    record Ran(String kind, String environmentId, ExecResult result) {
    }

    private final String base;
    private final String key;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    private ServerClient(String base, String key) {
        this.base = base;
        this.key = key;
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        if (base.startsWith("http://")) {
            builder.sslContext(withoutTrust());
        }
        this.http = builder.build();
    }

    /**
     * A TLS context that trusts nobody, for a client that speaks plain HTTP: the default one reads the JDK's trust
     * store when the client is made: ~300 of the ~760 ms that making the client took on the loaded build machine
     * (medians of 10 cold JVMs).
     */
    private static SSLContext withoutTrust() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[0], null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot make the HTTP client: " + e.getMessage());
        }
    }

    /**
     * The server named by {@code --server}, else by {@code $STAGECRAFT_SERVER} (empty: none); empty when the command
     * runs here. Flags about this machine's installation are refused beside it, and a missing key is named.
     */
    static Optional<ServerClient> of(Cli cli, GlobalOptions global) {
        String url = global.server != null ? global.server : cli.environment.get(SERVER_VARIABLE);
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        String given = global.server != null ? "--server" : "$" + SERVER_VARIABLE;
        refuseBeside(given, "--config", global.config);
        refuseBeside(given, "--plugins-dir", global.pluginsDir);
        refuseBeside(given, "--state-dir", global.stateDir);
        String base = base(url.trim(), given);
        String key = cli.environment.get(KEY_VARIABLE);
        if (key == null || key.isBlank()) {
            throw new Unusable(ErrorCode.UNAUTHENTICATED, "no API key for " + base + ": set " + KEY_VARIABLE
                    + " to a key from 'stagecraft keys create' (it is not a flag: flags show in ps)");
        }
        if (!key.trim().matches("[\\x21-\\x7e]+")) {
            throw new Unusable(ErrorCode.UNAUTHENTICATED, KEY_VARIABLE + " holds characters that no key has: give it "
                    + "as 'stagecraft keys create' printed it");
        }
        return Optional.of(new ServerClient(base, key.trim()));
    }

    private static void refuseBeside(String given, String flag, Object value) {
        if (value != null) {
            throw StagecraftException.invalidRequirement(flag + " does not apply with " + given
                    + ": the server uses its own configuration, plugins and state");
        }
    }

    /** {@code http(s)://host[:port][/prefix]} without a trailing slash; one line naming where it came from otherwise. */
    private static String base(String url, String given) {
        try {
            URI uri = new URI(url);
            if (uri.getHost() != null && uri.getQuery() == null && uri.getFragment() == null
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                return url.replaceAll("/+$", "");
            }
        } catch (java.net.URISyntaxException e) {
            // refused below, in the same words
        }
        throw StagecraftException.invalidRequirement(given + ": '" + url
                + "' is not an http:// or https:// URL (e.g. http://127.0.0.1:8700)");
    }

    /** One segment of a URL's path, encoded: an environment id as given. */
    static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A workspace path, each of its segments encoded. */
    static String path(String workspacePath) {
        return segment(workspacePath).replace("%2F", "/");
    }

    /** A JSON request answered by one JSON object. */
    Map<String, Object> object(String method, String path, Object body) {
        return parsed(method, path, read(send(method, path, body, "application/json"), method, path), OBJECT);
    }

    /** A GET answered by a JSON list of objects. */
    List<Map<String, Object>> list(String path) {
        return parsed("GET", path, read(send("GET", path, null, "application/json"), "GET", path), LIST);
    }

    /** A request answered without a body (204). */
    void call(String method, String path) {
        read(send(method, path, null, "application/json"), method, path);
    }

    byte[] download(String path) {
        return read(send("GET", path, null, "application/octet-stream"), "GET", path);
    }

    void upload(String path, byte[] content) {
        read(send("PUT", path, content, "application/json"), "PUT", path);
    }

    /**
     * POSTs an exec or run with its output streamed (NDJSON): {@code started} runs once the server has accepted it
     * (the environment is there), each piece of output goes to {@code live} as it comes, or is kept in the result
     * when {@code live} is null. The stream's {@code error} line is the failure of its code.
     */
    Ran execute(String path, Map<String, Object> body, Runnable started, OutputListener live) {
        InputStream stream = send("POST", path, body, NDJSON);
        started.run();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                JsonNode event = json.readTree(line);
                if (event.has("stdout") || event.has("stdoutBase64")) {
                    output(event, "stdout", live == null ? stdout::write : live::stdout);
                } else if (event.has("stderr") || event.has("stderrBase64")) {
                    output(event, "stderr", live == null ? stderr::write : live::stderr);
                } else if (event.has("result")) {
                    Map<String, Object> result = json.convertValue(event.get("result"), OBJECT);
                    return new Ran((String) result.get("provider"), (String) result.get("environmentId"),
                            Json.result(result, stdout.toByteArray(), stderr.toByteArray()));
                } else if (event.has("error")) {
                    throw failure(event.get("error"));
                }
            }
        } catch (StagecraftException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new Unusable(ErrorCode.INTERNAL, "lost the answer of " + base + path + " while the command ran: "
                    + reason(e));
        }
        throw new Unusable(ErrorCode.INTERNAL, base + path + " ended its answer before the command's result");
    }

    private interface Chunk {
        void write(byte[] chunk, int offset, int length);
    }

    /** One output event's bytes: its text, or its exact bytes when they are not UTF-8. */
    private static void output(JsonNode event, String stream, Chunk to) {
        byte[] bytes = event.has(stream) ? event.get(stream).asText().getBytes(StandardCharsets.UTF_8)
                : Base64.getDecoder().decode(event.get(stream + "Base64").asText());
        to.write(bytes, 0, bytes.length);
    }

    /** Sends one request; the answer's body when it succeeded, else the failure it stands for. */
    private InputStream send(String method, String path, Object body, String accept) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + key)
                .header("Accept", accept);
        try {
            if (body instanceof byte[]) {
                request.header("Content-Type", "application/octet-stream")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray((byte[]) body));
            } else if (body != null) {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() < 300) {
                return response.body();
            }
            throw refusal(method, path, response);
        } catch (JsonProcessingException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot write the request: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Unusable(ErrorCode.PROVIDER_UNAVAILABLE, "cannot reach server " + base + ": " + reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unusable(ErrorCode.PROVIDER_UNAVAILABLE, "interrupted while waiting for server " + base);
        }
    }

    /** What an answer of 300 or more means, in the command line's words. */
    private StagecraftException refusal(String method, String path, HttpResponse<InputStream> response) throws IOException {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(64 * 1024);
        }
        JsonNode error;
        try {
            error = json.readTree(body).path("error");
        } catch (IOException e) {
            error = json.missingNode();
        }
        if (!error.path("code").isTextual()) {
            String text = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
            return new Unusable(ErrorCode.INTERNAL, base + " answered " + method + " " + path + " with HTTP "
                    + response.statusCode() + ", not as a Stagecraft server"
                    + (text.isEmpty() ? "" : ": " + text.substring(0, Math.min(200, text.length()))));
        }
        StagecraftException failure = failure(error);
        if (response.statusCode() == 401) {
            return new Unusable(ErrorCode.UNAUTHENTICATED, "the server " + base + " refused the key in " + KEY_VARIABLE
                    + ": " + failure.getMessage());
        }
        Optional<String> retry = response.headers().firstValue("Retry-After");
        if (response.statusCode() == 429 && retry.isPresent()) {
            return new StagecraftException(failure.code(), failure.getMessage() + " (retry after " + retry.get() + "s)");
        }
        return failure;
    }

    /** {@code {"code","message"}} as the exception of that code; a code this version does not know is INTERNAL. */
    private static StagecraftException failure(JsonNode error) {
        ErrorCode code;
        try {
            code = ErrorCode.valueOf(error.path("code").asText());
        } catch (IllegalArgumentException e) {
            code = ErrorCode.INTERNAL;
        }
        return new StagecraftException(code, error.path("message").asText());
    }

    private <T> T parsed(String method, String path, byte[] body, TypeReference<T> type) {
        try {
            return json.readValue(body, type);
        } catch (IOException e) {
            throw new Unusable(ErrorCode.INTERNAL, base + " answered " + method + " " + path
                    + " with what is not the JSON of a Stagecraft server");
        }
    }

    private byte[] read(InputStream body, String method, String path) {
        try (InputStream in = body) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new Unusable(ErrorCode.PROVIDER_UNAVAILABLE, "lost the answer of " + method + " " + base + path
                    + ": " + reason(e));
        }
    }

    /** A failed TLS handshake: the deepest message (the one that says why), and what to do about the usual one. */
    private static String tlsReason(Throwable e) {
        String why = "";
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                why = cause.getMessage().lines().findFirst().orElse("");
            }
        }
        if (why.contains("certification path") || why.contains("PKIX")) {
            return "TLS: the server's certificate is not trusted here (" + why + "); for a private CA, add "
                    + "-Djavax.net.ssl.trustStore=FILE (and -Djavax.net.ssl.trustStorePassword=...) to $STAGECRAFT_OPTS";
        }
        if (why.contains("unrecognized SSL message")) {
            return "TLS: the server does not speak it (" + why + "): use http:// for a server without server.tls";
        }
        return "TLS handshake failed: " + why;
    }

    /**
     * The first message along the causes, in words: the HTTP client's own exceptions often have none, and a refused
     * connection has none at all.
     */
    private static String reason(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException) {
                return tlsReason(cause);
            }
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                return cause.getMessage();
            }
        }
        if (e instanceof ConnectException) {
            return "connection refused (is stagecraft serve running there?)";
        }
        // e.g. ClosedChannelException: "closed channel"
        return e.getClass().getSimpleName().replaceAll("Exception$", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                .toLowerCase(java.util.Locale.ROOT);
    }
}
