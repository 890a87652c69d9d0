package dev.stagecraft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.cli.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A command's output as NDJSON, one event per line, each written and flushed as it comes:
 * {@code {"stdout":"text"}} and {@code {"stderr":"text"}} while the command runs ({@code {"stdoutBase64":"..."}} and
 * {@code {"stderrBase64":"..."}} for a piece that is not UTF-8), then one last line, either
 * {@code {"result":{...}}} (the result of a buffered exec without its stdout and stderr, already sent) or
 * {@code {"error":{"code":...,"message":...}}}. A client that goes away stops the writing, not the command.
 */
final class NdjsonOutput implements OutputListener {
    static final String CONTENT_TYPE = "application/x-ndjson";

    private final OutputStream out;
    private final ObjectMapper json;
    private final Utf8Chunks stdout = new Utf8Chunks();
    private final Utf8Chunks stderr = new Utf8Chunks();
    private boolean gone;

    /** Whether the caller asked for streamed output ({@code Accept: application/x-ndjson}). */
    static boolean wanted(Call call) {
        return call.headers().getOrDefault("Accept", java.util.List.of()).stream()
                .anyMatch(accept -> accept.contains(CONTENT_TYPE));
    }

    /** Runs {@code command} with its output streamed to {@code out}; its result or its failure is the last line. */
    static void run(OutputStream out, ObjectMapper json, String kind, String environmentId,
                    java.util.function.Function<OutputListener, ExecResult> command) {
        NdjsonOutput output = new NdjsonOutput(out, json);
        try {
            output.result(kind, environmentId, command.apply(output));
        } catch (StagecraftException e) {
            output.error(e);
        } catch (RuntimeException e) {
            output.error(new StagecraftException(dev.stagecraft.api.ErrorCode.INTERNAL, "internal error: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        }
    }

    NdjsonOutput(OutputStream out, ObjectMapper json) {
        this.out = out;
        this.json = json;
    }

    @Override
    public void stdout(byte[] chunk, int offset, int length) {
        synchronized (this) {
            send("stdout", stdout.next(chunk, offset, length));
        }
    }

    @Override
    public void stderr(byte[] chunk, int offset, int length) {
        synchronized (this) {
            send("stderr", stderr.next(chunk, offset, length));
        }
    }

    synchronized void result(String kind, String environmentId, ExecResult result) {
        send("stdout", stdout.rest());
        send("stderr", stderr.rest());
        Map<String, Object> fields = new LinkedHashMap<>(Json.run(kind, environmentId, result));
        fields.keySet().removeAll(java.util.List.of("stdout", "stderr", "stdoutBase64", "stderrBase64"));
        write(Map.of("result", fields));
    }

    synchronized void error(StagecraftException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code().name());
        error.put("message", e.getMessage());
        write(Map.of("error", error));
    }

    private void send(String stream, Utf8Chunks.Piece piece) {
        if (piece.isEmpty()) {
            return;
        }
        if (piece.bytes() == null) {
            write(Map.of(stream, piece.text()));
        } else {
            write(Map.of(stream + "Base64", Base64.getEncoder().encodeToString(piece.bytes())));
        }
    }

    private void write(Object event) {
        if (gone) {
            return;
        }
        try {
            out.write(json.writeValueAsBytes(event));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            gone = true;
        }
    }
}
