package dev.stagecraft.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.BiConsumer;

/**
 * Reads one output stream to its end on its own thread, keeping at most {@code limit} bytes (and handing them to
 * an optional listener); the rest is read and dropped, so memory stays flat however much the command writes.
 */
final class CappedDrain implements Runnable {
    /** How many of the first bytes are always kept, listener or not, for {@link #head()}. */
    static final int HEAD = 512;

    private final InputStream in;
    private final long limit;
    private final BiConsumer<byte[], Integer> listener;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final boolean keep;
    private final byte[] head = new byte[HEAD];
    private volatile int headLength;
    private volatile boolean truncated;
    private volatile long total;

    /** {@code listener} gets each kept chunk and its length; when it is non-null nothing is kept here. */
    CappedDrain(InputStream in, long limit, BiConsumer<byte[], Integer> listener) {
        this.in = in;
        this.limit = Math.min(limit, Integer.MAX_VALUE - 8);
        this.listener = listener;
        this.keep = listener == null;
    }

    @Override
    public void run() {
        byte[] buffer = new byte[64 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (headLength < HEAD) {
                    int copy = Math.min(HEAD - headLength, n);
                    System.arraycopy(buffer, 0, head, headLength, copy);
                    headLength += copy;
                }
                long room = limit - total;
                int take = (int) Math.max(0, Math.min(room, n));
                if (take > 0) {
                    if (keep) {
                        kept.write(buffer, 0, take);
                    } else {
                        listener.accept(java.util.Arrays.copyOf(buffer, take), take);
                    }
                }
                if (take < n) {
                    truncated = true;
                }
                total += take;
            }
        } catch (IOException e) {
            // the stream was closed under us: the process is gone, what we have is the output
        }
    }

    byte[] bytes() {
        return kept.toByteArray();
    }

    /** The first bytes read (up to {@link #HEAD}), as UTF-8 text, even when a listener took the output. */
    String head() {
        return new String(head, 0, headLength, java.nio.charset.StandardCharsets.UTF_8);
    }

    boolean truncated() {
        return truncated;
    }
}
