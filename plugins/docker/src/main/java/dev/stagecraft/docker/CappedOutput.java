package dev.stagecraft.docker;

import java.io.ByteArrayOutputStream;

/** One stream's bytes up to the limit; what comes after is counted as truncation and dropped. */
final class CappedOutput {
    private final long limit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;

    CappedOutput(long limit) {
        this.limit = limit;
    }

    /** Keeps what fits of {@code length} bytes at {@code offset}; returns how many were kept. */
    synchronized int add(byte[] chunk, int offset, int length) {
        long room = limit - kept.size();
        int keep = (int) Math.max(0, Math.min(room, length));
        kept.write(chunk, offset, keep);
        if (keep < length) {
            truncated = true;
        }
        return keep;
    }

    synchronized boolean truncated() {
        return truncated;
    }

    synchronized byte[] bytes() {
        return kept.toByteArray();
    }
}
