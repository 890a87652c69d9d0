package dev.stagecraft.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Cuts one output stream's chunks into pieces that are either UTF-8 text or, where a chunk holds bytes that are not
 * UTF-8, those exact bytes. A character split between two chunks is held back until its last byte comes; one the
 * stream never finishes comes out as bytes.
 */
final class Utf8Chunks {
    /** Text, or (when {@code bytes} is not null) bytes that are not UTF-8. */
    record Piece(String text, byte[] bytes) {
        boolean isEmpty() {
            return bytes == null ? text.isEmpty() : bytes.length == 0;
        }
    }

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] pending = new byte[0];

    Piece next(byte[] chunk, int offset, int length) {
        byte[] all = Arrays.copyOf(pending, pending.length + length);
        System.arraycopy(chunk, offset, all, pending.length, length);
        ByteBuffer in = ByteBuffer.wrap(all);
        CharBuffer out = CharBuffer.allocate(all.length + 1);
        decoder.reset();
        if (decoder.decode(in, out, false).isError()) {
            pending = new byte[0];
            return new Piece(null, all);
        }
        pending = Arrays.copyOfRange(all, in.position(), all.length);
        return new Piece(out.flip().toString(), null);
    }

    /** What is still held back: the start of a character the stream never finished, as bytes (or nothing). */
    Piece rest() {
        byte[] left = pending;
        pending = new byte[0];
        return left.length == 0 ? new Piece("", null) : new Piece(null, left);
    }
}
