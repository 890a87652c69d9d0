package dev.stagecraft.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one output stream's chunks as UTF-8 text, holding back a character split between two chunks until its
 * last byte comes; bytes that are not UTF-8 become U+FFFD, as in a whole result's text.
 */
final class Utf8Chunks {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] pending = new byte[0];

    String next(byte[] chunk, int offset, int length) {
        ByteBuffer in = ByteBuffer.allocate(pending.length + length).put(pending).put(chunk, offset, length).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        pending = new byte[in.remaining()];
        in.get(pending);
        return out.flip().toString();
    }

    /** What is still held back, as text (a character the stream never finished is U+FFFD). */
    String rest() {
        ByteBuffer in = ByteBuffer.wrap(pending);
        CharBuffer out = CharBuffer.allocate(pending.length + 1);
        decoder.decode(in, out, true);
        decoder.flush(out);
        pending = new byte[0];
        return out.flip().toString();
    }
}
