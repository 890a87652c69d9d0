package dev.stagecraft.docker;

import java.nio.charset.StandardCharsets;

/**
 * Finds the exec agent's end marker in one output stream (stdout or stderr) of one request, as the bytes come, and
 * passes on everything before it: {@code RS "stagecraft:" NONCE " " STATUS RS}, RS being byte 036 and STATUS one to
 * {@link #STATUS_MAX} ASCII letters or digits. The marker may arrive split across any number of frames; bytes that
 * could be its beginning are held back (at most the prefix's length) until they prove to be output after all. A
 * marker with another nonce is output like any other bytes. Once the marker is seen the rest of the stream is dropped:
 * it belongs to no command of this request. Nothing is buffered beyond the prefix, so memory stays bounded whatever
 * the stream carries.
 *
 * <p>A scanner made to await the begin marker ({@code RS "stagecraft:" NONCE RS}, which the agent writes before it
 * runs the request) drops everything until that marker: output of earlier requests, whoever sent them, that this
 * client had not read yet when it sent its own.
 */
final class MarkerScanner {
    static final byte RS = 036;
    static final int STATUS_MAX = 16;

    /** Where output goes. */
    interface Sink {
        void accept(byte[] bytes, int offset, int length);
    }

    private final byte[] prefix;
    private final Sink sink;
    /** The begin marker still to come, or null once it came (or none is awaited). */
    private byte[] begin;
    private int matched;
    private boolean inStatus;
    private final byte[] status = new byte[STATUS_MAX];
    private int statusLength;
    private String found;
    private String violation;

    MarkerScanner(String nonce, Sink sink) {
        this(nonce, false, sink);
    }

    /** {@code awaitBegin}: drop everything until the begin marker of {@code nonce}. */
    MarkerScanner(String nonce, boolean awaitBegin, Sink sink) {
        this.prefix = prefix(nonce);
        this.sink = sink;
        this.begin = awaitBegin ? beginMarker(nonce) : null;
    }

    /** The begin marker for {@code nonce}, as the agent writes it before it runs a request. */
    static byte[] beginMarker(String nonce) {
        return ("\036stagecraft:" + nonce + "\036").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] prefix(String nonce) {
        return ("\036stagecraft:" + nonce + " ").getBytes(StandardCharsets.US_ASCII);
    }

    /** The whole marker for {@code nonce} and {@code status}, as the agent writes it. */
    static byte[] marker(String nonce, String status) {
        return ("\036stagecraft:" + nonce + " " + status + "\036").getBytes(StandardCharsets.US_ASCII);
    }

    /** Takes the next {@code length} bytes of the stream. */
    void feed(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = begin == null ? offset : skipToBegin(bytes, offset, end);
        int run = i;
        while (i < end && found == null && violation == null) {
            byte b = bytes[i];
            if (inStatus) {
                i++;
                run = i;
                if (b == RS) {
                    if (statusLength == 0) {
                        violation = "an empty status";
                    } else {
                        found = new String(status, 0, statusLength, StandardCharsets.US_ASCII);
                    }
                } else if (statusLength == STATUS_MAX || !isStatusByte(b)) {
                    violation = "a malformed status";
                } else {
                    status[statusLength++] = b;
                }
                continue;
            }
            if (matched > 0) {
                if (b == prefix[matched]) {
                    matched++;
                    i++;
                    run = i;
                    if (matched == prefix.length) {
                        matched = 0;
                        inStatus = true;
                    }
                    continue;
                }
                // Not the marker after all: what was held back is output. The prefix holds RS only at its start, so
                // the marker can only begin again at this byte.
                sink.accept(prefix, 0, matched);
                matched = 0;
            }
            if (b == RS) {
                if (i > run) {
                    sink.accept(bytes, run, i - run);
                }
                matched = 1;
                i++;
                run = i;
                continue;
            }
            i++;
        }
        if (found == null && violation == null && !inStatus && matched == 0 && end > run) {
            sink.accept(bytes, run, end - run);
        }
    }

    /**
     * Drops bytes until the begin marker has been seen whole; where the rest of the stream starts, or {@code end}. The
     * marker holds RS only at its two ends, so after a mismatch it can only start again at that very byte.
     */
    private int skipToBegin(byte[] bytes, int offset, int end) {
        int i = offset;
        while (i < end) {
            byte b = bytes[i++];
            if (b == begin[matched]) {
                matched++;
                if (matched == begin.length) {
                    matched = 0;
                    begin = null;
                    return i;
                }
            } else {
                matched = b == RS ? 1 : 0;
            }
        }
        return end;
    }

    /** Whether the begin marker is still awaited (nothing has been passed on yet). */
    boolean awaitingBegin() {
        return begin != null;
    }

    private static boolean isStatusByte(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    }

    /** The marker's status once it was seen, else null. */
    String status() {
        return found;
    }

    /** What was wrong with a marker that carried the nonce but broke the format, else null. */
    String violation() {
        return violation;
    }

    /** The stream ended: bytes held back as a possible marker were output after all. */
    void endOfStream() {
        if (begin != null) {
            matched = 0;
            return;
        }
        if (found == null && violation == null && matched > 0) {
            sink.accept(prefix, 0, matched);
            matched = 0;
        }
    }
}
