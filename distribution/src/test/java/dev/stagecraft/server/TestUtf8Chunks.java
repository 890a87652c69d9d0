package dev.stagecraft.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TestUtf8Chunks {
    @Test
    void aCharacterSplitBetweenChunksIsHeldBackUntilItIsWhole() {
        byte[] text = "aé€😀z".getBytes(StandardCharsets.UTF_8);
        Utf8Chunks chunks = new Utf8Chunks();
        StringBuilder seen = new StringBuilder();
        for (byte b : text) {
            seen.append(chunks.next(new byte[] {b}, 0, 1));
        }
        assertThat(seen.append(chunks.rest()).toString()).isEqualTo("aé€😀z");
    }

    @Test
    void bytesThatAreNotUtf8BecomeReplacementCharacters() {
        Utf8Chunks chunks = new Utf8Chunks();
        assertThat(chunks.next(new byte[] {'x', (byte) 0xff, 'y'}, 0, 3)).isEqualTo("x\uFFFDy");
        assertThat(chunks.next(new byte[] {(byte) 0xc3}, 0, 1)).isEmpty();
        assertThat(chunks.rest()).as("a character the stream never finished").isEqualTo("\uFFFD");
    }
}
