package dev.stagecraft.server;

import dev.stagecraft.api.OutputListener;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Progress of one tool call, for an MCP client that asked for it (a {@code progressToken} in the request's
 * {@code _meta}): the latest line the command printed, at most once per {@link #LINE_NANOS}, and a beat every
 * {@link #BEAT_NANOS} while it prints nothing, so that a client whose timeout starts again at each notification does
 * not give up on a long run. Each notification's {@code progress} is one more than the one before; there is no total.
 */
final class McpProgress implements OutputListener {
    static final long LINE_NANOS = 1_000_000_000L;
    static final long BEAT_NANOS = 5_000_000_000L;
    private static final int LINE_LIMIT = 200;

    private final Object token;
    private final long started;
    private String latest;
    private String sent;
    private int count;
    private long sentAt;

    McpProgress(Object token, long nowNanos) {
        this.token = token;
        this.started = nowNanos;
        this.sentAt = nowNanos;
    }

    /** The token of a request that asked for progress: {@code _meta.progressToken}, a string or a number. */
    static Optional<Object> token(Map<String, Object> meta) {
        Object token = meta == null ? null : meta.get("progressToken");
        return token instanceof String || token instanceof Number ? Optional.of(token) : Optional.empty();
    }

    @Override
    public void stdout(byte[] chunk, int offset, int length) {
        saw(chunk, offset, length);
    }

    @Override
    public void stderr(byte[] chunk, int offset, int length) {
        saw(chunk, offset, length);
    }

    private synchronized void saw(byte[] chunk, int offset, int length) {
        String text = new String(chunk, offset, length, StandardCharsets.UTF_8);
        String line = text.strip().lines().reduce((first, second) -> second).orElse("");
        if (!line.isBlank()) {
            latest = line.length() > LINE_LIMIT ? line.substring(0, LINE_LIMIT) + "…" : line;
        }
    }

    /** The notification due at {@code nowNanos}, if one is: a new line of output, or a beat. */
    synchronized Optional<McpSchema.ProgressNotification> due(long nowNanos) {
        long since = nowNanos - sentAt;
        String message;
        if (latest != null && !latest.equals(sent) && since >= LINE_NANOS) {
            message = latest;
            sent = latest;
        } else if (since >= BEAT_NANOS) {
            message = "running for " + (nowNanos - started) / 1_000_000_000L + " s";
        } else {
            return Optional.empty();
        }
        sentAt = nowNanos;
        count++;
        return Optional.of(new McpSchema.ProgressNotification(token, (double) count, null, message, null));
    }
}
