package dev.stagecraft.docker;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The manager's end of one exec agent: the container's attach stream ({@code POST /containers/ID/attach} with stdin,
 * stdout and stderr, hijacked like an exec's), written by the caller of a request and read all the time by a worker.
 * The Engine copies the container's output to every attached client in turn, so a client that stopped reading would
 * stall the container and every other client: the reader drains the stream whether or not a request is open, and drops
 * what no request claims. At most one {@link Exchange} is open at a time ({@link AgentLink} sees to it).
 */
final class AgentChannel implements Closeable {
    private final EngineConnection connection;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Exchange current;

    private AgentChannel(EngineConnection connection) {
        this.connection = connection;
    }

    /**
     * Attaches to the container (created or running; the Engine holds the stream of a created one until it starts) and
     * starts draining it on {@code workers}.
     */
    static AgentChannel attach(Engine engine, String containerId, ExecutorService workers, String what) {
        return open(engine, "/containers/" + containerId + "/attach?stream=1&stdin=1&stdout=1&stderr=1",
                Map.of("Connection", "Upgrade", "Upgrade", "tcp"), null, workers, what, "attach");
    }

    /**
     * Starts {@code command} as an Engine exec in the container, as {@code user}, with its stdin, stdout and stderr on
     * the returned channel (an extra agent); the exec's process sees end of input when the channel is closed.
     */
    static AgentChannel exec(Engine engine, String containerId, List<String> command, String user, ExecutorService workers,
                             String what) {
        String execId = engine.call(ErrorCode.EXEC_FAILED, what, () -> engine.client().execCreateCmd(containerId)
                .withCmd(command.toArray(String[]::new)).withUser(user).withAttachStdin(true)
                .withAttachStdout(true).withAttachStderr(true).withTty(false).exec().getId());
        return open(engine, "/exec/" + execId + "/start", Map.of("Content-Type", "application/json", "Connection", "Upgrade",
                "Upgrade", "tcp"), ExecCall.START_BODY, workers, what, "start the exec");
    }

    /** POSTs to {@code path}, hijacks the connection for the streams, and starts draining it. */
    private static AgentChannel open(Engine engine, String path, Map<String, String> headers, byte[] body,
                                     ExecutorService workers, String what, String action) {
        EngineConnection connection;
        try {
            connection = engine.connect();
        } catch (IOException e) {
            throw engine.unreachable(e);
        }
        try {
            connection.send("POST", path, headers, body);
            if (connection.status() != 101 && connection.status() != 200) {
                String message = Engine.engineMessage(connection.bodyText(4096));
                throw new StagecraftException(connection.status() == 404 ? ErrorCode.NOT_FOUND
                        : connection.status() == 409 ? ErrorCode.ILLEGAL_STATE : ErrorCode.EXEC_FAILED,
                        what + ": the Engine refused to " + action + " (" + connection.status() + "): " + message);
            }
        } catch (IOException e) {
            connection.close();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": cannot " + action + ": "
                    + Engine.oneLine(String.valueOf(e.getMessage())), e);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
        AgentChannel channel = new AgentChannel(connection);
        try {
            workers.execute(channel::drain);
        } catch (RuntimeException rejected) {
            connection.close();
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, what + ": the docker provider was closed", rejected);
        }
        return channel;
    }

    /** Whether the stream has ended (the container stopped, the connection broke or was closed). */
    boolean ended() {
        return ended.getCount() == 0;
    }

    /** Waits up to {@code timeout} for the stream to end; whether it did. */
    boolean awaitEnd(java.time.Duration timeout) {
        try {
            return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ended();
        }
    }

    /**
     * Opens the exchange of one request; its output goes to {@code out} and {@code err}, and to the listener. With
     * {@code awaitBegin}, what comes before the request's begin marker on each stream is dropped.
     */
    Exchange open(String nonce, boolean awaitBegin, CappedOutput out, CappedOutput err, OutputListener listener) {
        Exchange exchange = new Exchange(nonce, awaitBegin, out, err, listener);
        current = exchange;
        if (ended()) {
            exchange.streamEnded();
        }
        return exchange;
    }

    /**
     * Opens the exchange of a ping and writes it; the answer (its status, the agent's flags) comes on the exchange.
     * The exchange is finished here when the write fails.
     */
    Exchange ping() throws IOException {
        String nonce = AgentRequest.newNonce();
        Exchange exchange = open(nonce, false, new CappedOutput(0), new CappedOutput(0), null);
        try {
            send(AgentRequest.ping(nonce));
        } catch (IOException e) {
            finish(exchange);
            throw e;
        }
        return exchange;
    }

    /** Ends the exchange: later output is dropped until the next one opens. */
    void finish(Exchange exchange) {
        if (current == exchange) {
            current = null;
        }
    }

    /** Writes a request to the agent's stdin. */
    void send(byte[] request) throws IOException {
        connection.write(request);
    }

    @Override
    public void close() {
        connection.close();
    }

    private void drain() {
        byte[] header = new byte[8];
        byte[] chunk = new byte[64 * 1024];
        try {
            InputStream in = connection.body();
            while (EngineConnection.readFully(in, header)) {
                boolean stdout = header[0] == 1;
                long size = ((header[4] & 0xffL) << 24) | ((header[5] & 0xffL) << 16) | ((header[6] & 0xffL) << 8) | (header[7] & 0xffL);
                while (size > 0) {
                    int n = in.read(chunk, 0, (int) Math.min(chunk.length, size));
                    if (n < 0) {
                        return;
                    }
                    size -= n;
                    Exchange exchange = current;
                    if (exchange != null) {
                        exchange.feed(stdout, chunk, n);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed here, or broken: the stream has ended either way
        } finally {
            connection.close();
            ended.countDown();
            Exchange exchange = current;
            if (exchange != null) {
                exchange.streamEnded();
            }
        }
    }

    /**
     * One request's view of the stream: both streams scanned for the end marker with its nonce, the output before it
     * kept within the caps and handed to the listener. Done when both markers came, one broke the format, or the
     * stream ended.
     */
    static final class Exchange {
        private final MarkerScanner out;
        private final MarkerScanner err;
        private final OutputListener listener;
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile boolean streamEnded;
        private volatile long firstMarkerAt;
        private volatile RuntimeException listenerFailure;

        Exchange(String nonce, boolean awaitBegin, CappedOutput stdout, CappedOutput stderr, OutputListener listener) {
            this.listener = listener;
            this.out = new MarkerScanner(nonce, awaitBegin, (b, off, len) -> deliver(true, stdout, b, off, len));
            this.err = new MarkerScanner(nonce, awaitBegin, (b, off, len) -> deliver(false, stderr, b, off, len));
        }

        private void deliver(boolean stdout, CappedOutput target, byte[] bytes, int offset, int length) {
            int kept = target.add(bytes, offset, length);
            if (kept > 0 && listener != null && listenerFailure == null) {
                try {
                    if (stdout) {
                        listener.stdout(bytes, offset, kept);
                    } else {
                        listener.stderr(bytes, offset, kept);
                    }
                } catch (RuntimeException e) {
                    listenerFailure = e;
                }
            }
        }

        synchronized void feed(boolean stdout, byte[] bytes, int length) {
            MarkerScanner scanner = stdout ? out : err;
            boolean had = scanner.status() != null;
            scanner.feed(bytes, 0, length);
            if (!had && scanner.status() != null && firstMarkerAt == 0) {
                firstMarkerAt = System.nanoTime();
            }
            if ((out.status() != null && err.status() != null) || violation() != null) {
                done.countDown();
            }
        }

        synchronized void streamEnded() {
            streamEnded = true;
            out.endOfStream();
            err.endOfStream();
            done.countDown();
        }

        boolean await(long nanos) throws InterruptedException {
            return done.await(nanos, TimeUnit.NANOSECONDS);
        }

        /** The status both markers carry, or null. */
        synchronized String status() {
            String o = out.status();
            return o != null && o.equals(err.status()) ? o : null;
        }

        /** What broke the protocol, or null. */
        synchronized String violation() {
            String v = out.violation() != null ? out.violation() : err.violation();
            if (v != null) {
                return v;
            }
            if (out.status() != null && err.status() != null && !out.status().equals(err.status())) {
                return "different statuses on stdout (" + out.status() + ") and stderr (" + err.status() + ")";
            }
            return null;
        }

        /** Whether exactly one marker came, and since when (System.nanoTime), else 0. */
        long halfAnsweredSince() {
            return status() == null ? firstMarkerAt : 0;
        }

        boolean streamHasEnded() {
            return streamEnded;
        }

        RuntimeException listenerFailure() {
            return listenerFailure;
        }
    }
}
