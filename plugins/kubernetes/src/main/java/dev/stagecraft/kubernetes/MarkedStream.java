package dev.stagecraft.kubernetes;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One output stream of an {@link AgentSession}: the agent's stdout or stderr, which carries every command it runs, one
 * after the other, each framed by markers holding that command's token ({@link PodScripts#AGENT}):
 * {@code SCB<token>\n}, then the command's bytes, then {@code SCE<token> <exit code>\n}. Bytes outside the frame of
 * the command now expected (a leftover of an earlier one) are dropped; bytes inside go to that command's sink. A tail
 * that may be the start of the end marker is held back until the next bytes tell.
 */
final class MarkedStream extends OutputStream {
    private static final byte[] NONE = new byte[0];

    private enum State { IDLE, BEFORE, INSIDE, CODE }

    private State state = State.IDLE;
    private byte[] begin = NONE;
    private byte[] end = NONE;
    private OutputStream sink;
    private CompletableFuture<Integer> exitCode;
    private final ByteArrayOutputStream code = new ByteArrayOutputStream();
    private byte[] held = NONE;

    /** From now on, waits for the frame of {@code token} and sends its bytes to {@code target}; returns its exit code. */
    synchronized CompletableFuture<Integer> expect(String token, OutputStream target) {
        begin = ("SCB" + token + "\n").getBytes(StandardCharsets.US_ASCII);
        end = ("SCE" + token + " ").getBytes(StandardCharsets.US_ASCII);
        sink = target;
        exitCode = new CompletableFuture<>();
        held = NONE;
        code.reset();
        state = State.BEFORE;
        return exitCode;
    }

    /** Whether the frame now expected has begun: its command runs, or ran. */
    synchronized boolean begun() {
        return state == State.INSIDE || state == State.CODE || (exitCode != null && exitCode.isDone());
    }

    /** The stream ended (the agent is gone): a command still expected gets no exit code. */
    synchronized void ended(Throwable why) {
        if (exitCode != null && !exitCode.isDone()) {
            exitCode.completeExceptionally(why);
        }
        state = State.IDLE;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] chunk, int offset, int length) {
        byte[] bytes = join(held, chunk, offset, length);
        held = NONE;
        int at = 0;
        while (at < bytes.length) {
            at = switch (state) {
                case IDLE -> bytes.length;
                case BEFORE -> before(bytes, at);
                case INSIDE -> inside(bytes, at);
                case CODE -> code(bytes, at);
            };
        }
    }

    private int before(byte[] bytes, int at) {
        int found = indexOf(bytes, at, begin);
        if (found < 0) {
            held = tail(bytes, Math.max(at, bytes.length - partialMatch(bytes, at, begin)));
            return bytes.length;
        }
        state = State.INSIDE;
        return found + begin.length;
    }

    private int inside(byte[] bytes, int at) {
        int found = indexOf(bytes, at, end);
        int upTo = found >= 0 ? found : bytes.length - partialMatch(bytes, at, end);
        if (upTo > at) {
            try {
                sink.write(bytes, at, upTo - at);
            } catch (java.io.IOException | RuntimeException e) {
                // a sink that fails (a listener that threw) loses its bytes; the frame still ends
            }
        }
        if (found < 0) {
            held = tail(bytes, upTo);
            return bytes.length;
        }
        state = State.CODE;
        return found + end.length;
    }

    private int code(byte[] bytes, int at) {
        while (at < bytes.length) {
            byte b = bytes[at++];
            if (b == '\n') {
                state = State.IDLE;
                exitCode.complete(parse(code.toString(StandardCharsets.US_ASCII)));
                return bytes.length;
            }
            if (code.size() < 12) {
                code.write(b);
            }
        }
        return at;
    }

    private static int parse(String digits) {
        try {
            return Integer.parseInt(digits.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static byte[] join(byte[] held, byte[] chunk, int offset, int length) {
        byte[] out = new byte[held.length + length];
        System.arraycopy(held, 0, out, 0, held.length);
        System.arraycopy(chunk, offset, out, held.length, length);
        return out;
    }

    private static byte[] tail(byte[] bytes, int from) {
        return from >= bytes.length ? NONE : java.util.Arrays.copyOfRange(bytes, from, bytes.length);
    }

    static int indexOf(byte[] bytes, int from, byte[] token) {
        outer:
        for (int i = from; i <= bytes.length - token.length; i++) {
            for (int j = 0; j < token.length; j++) {
                if (bytes[i + j] != token[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The length of the longest tail of {@code bytes[from..]} that is a proper prefix of {@code token}. */
    static int partialMatch(byte[] bytes, int from, byte[] token) {
        int max = Math.min(token.length - 1, bytes.length - from);
        for (int n = max; n > 0; n--) {
            boolean match = true;
            for (int j = 0; j < n && match; j++) {
                match = bytes[bytes.length - n + j] == token[j];
            }
            if (match) {
                return n;
            }
        }
        return 0;
    }
}
