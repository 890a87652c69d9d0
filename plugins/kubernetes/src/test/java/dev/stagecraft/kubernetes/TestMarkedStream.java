package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The framing of the agent's streams, fed in every split a websocket could make. No cluster needed. */
class TestMarkedStream {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @Test
    void theFrameOfTheTokenIsKeptWhateverTheChunksAre() throws Exception {
        String output = "a line\nSCE not ours SCB" + TOKEN.substring(0, 9) + "\nSCE" + TOKEN.substring(0, 31) + " 7\nend";
        String stream = "leftover of an earlier command SCEffff 1\nSCB" + TOKEN + "\n" + output + "SCE" + TOKEN + " 42\nafter";
        byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
        for (int chunk = 1; chunk <= bytes.length; chunk++) {
            MarkedStream marked = new MarkedStream();
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            CompletableFuture<Integer> code = marked.expect(TOKEN, sink);
            for (int at = 0; at < bytes.length; at += chunk) {
                marked.write(bytes, at, Math.min(chunk, bytes.length - at));
            }
            assertThat(code).as("chunks of %d", chunk).isCompletedWithValue(42);
            assertThat(sink.toString(StandardCharsets.US_ASCII)).as("chunks of %d", chunk).isEqualTo(output);
        }
    }

    @Test
    void aStreamThatEndsBeforeTheFrameEndsGivesNoExitCode() throws IOException {
        MarkedStream marked = new MarkedStream();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        CompletableFuture<Integer> code = marked.expect(TOKEN, sink);
        marked.write(("SCB" + TOKEN + "\npartial").getBytes(StandardCharsets.US_ASCII));
        assertThat(marked.begun()).isTrue();
        marked.ended(new IOException("closed"));
        assertThat(code).isCompletedExceptionally();
        assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo("partial");
    }

    @Test
    void theRequestLineQuotesEveryWordAndWritesNewlinesAsAVariable() {
        byte[] line = AgentSession.requestLine("t", java.util.List.of("it's", "a\nb", "$N"));
        assertThat(new String(line, StandardCharsets.UTF_8)).isEqualTo("t 'it'\\''s' 'a'\"$N\"'b' '$N'\n");
    }
}
