package dev.stagecraft.kubernetes;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

/**
 * One output stream of an exec: keeps (or hands to a streaming listener) the bytes up to the limit, and reads and
 * drops the rest, so that a flood neither fills the heap nor stalls the command.
 */
final class CappedSink extends OutputStream {
    /** Where kept bytes go while streaming. */
    interface Chunks {
        void accept(byte[] chunk, int offset, int length);
    }

    private final long limit;
    private final Chunks streaming;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long seen;

    /** {@code streaming} null: the bytes are kept for the result. */
    CappedSink(long limit, Chunks streaming) {
        this.limit = limit;
        this.streaming = streaming;
    }

    @Override
    public synchronized void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] chunk, int offset, int length) {
        long room = limit - seen;
        int keep = (int) Math.max(0, Math.min(room, length));
        seen += length;
        if (keep == 0) {
            return;
        }
        if (streaming != null) {
            streaming.accept(chunk, offset, keep);
        } else {
            kept.write(chunk, offset, keep);
        }
    }

    synchronized boolean truncated() {
        return seen > limit;
    }

    /** What was kept (empty while streaming: the listener had it). */
    synchronized byte[] bytes() {
        return kept.toByteArray();
    }
}
