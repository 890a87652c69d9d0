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
            seen.append(chunks.next(new byte[] {b}, 0, 1).text());
        }
        assertThat(chunks.rest().isEmpty()).isTrue();
        assertThat(seen.toString()).isEqualTo("aé€😀z");
    }

    @Test
    void aChunkWithBytesThatAreNotUtf8ComesAsThoseBytes() {
        Utf8Chunks chunks = new Utf8Chunks();
        assertThat(chunks.next(new byte[] {'x', (byte) 0xff, 'y'}, 0, 3).bytes()).containsExactly('x', 0xff, 'y');
        assertThat(chunks.next("ok".getBytes(StandardCharsets.UTF_8), 0, 2).text()).as("text again after it").isEqualTo("ok");
        assertThat(chunks.next(new byte[] {(byte) 0xc3}, 0, 1).isEmpty()).as("the start of a character is held back").isTrue();
        assertThat(chunks.rest().bytes()).as("a character the stream never finished").containsExactly(0xc3);
        assertThat(chunks.rest().isEmpty()).isTrue();
    }
}
