package dev.stagecraft.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.Termination;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a tool call's progress says and when, on a clock the test moves: the latest line at most once a second, a beat
 * after five silent seconds, nothing in between; and the output kept for the result beside it, cut at the limit.
 */
class TestMcpProgress {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theLatestLineAtMostOnceASecondAndABeatAfterFiveSilentSeconds() {
        McpProgress progress = new McpProgress("t", 0);
        print(progress, "first\nsecond\n");
        assertThat(progress.due(SECOND / 2)).as("not before a second").isEmpty();
        ProgressNotification line = progress.due(SECOND).orElseThrow();
        assertThat(line.progressToken()).isEqualTo("t");
        assertThat(line.message()).as("the last line of what came").isEqualTo("second");
        assertThat(line.progress()).isEqualTo(1.0);
        assertThat(progress.due(3 * SECOND)).as("the same line is not sent again").isEmpty();

        ProgressNotification beat = progress.due(6 * SECOND).orElseThrow();
        assertThat(beat.message()).isEqualTo("running for 6 s");
        assertThat(beat.progress()).isEqualTo(2.0);

        print(progress, "x".repeat(300));
        assertThat(progress.due(7 * SECOND).orElseThrow().message()).hasSize(201).endsWith("…");
        print(progress, "   \n");
        assertThat(progress.due(9 * SECOND)).as("blank output is no news").isEmpty();
    }

    @Test
    void onlyAStringOrNumberIsAToken() {
        assertThat(McpProgress.token(Map.of("progressToken", 7))).contains(7);
        assertThat(McpProgress.token(Map.of("progressToken", "a"))).contains("a");
        assertThat(McpProgress.token(Map.of("progressToken", Map.of()))).isEmpty();
        assertThat(McpProgress.token(null)).isEqualTo(Optional.empty());
    }

    @Test
    void theOutputIsKeptForTheResultUpToTheLimitOfEachStream() {
        OutputListener seen = new McpProgress("t", 0);
        KeptOutput kept = new KeptOutput(seen, 4);
        kept.stdout("abc".getBytes(StandardCharsets.UTF_8), 0, 3);
        kept.stdout("def".getBytes(StandardCharsets.UTF_8), 0, 3);
        kept.stderr("e".getBytes(StandardCharsets.UTF_8), 0, 1);
        ExecResult streamed = new ExecResult(0, new byte[0], new byte[0], Duration.ofMillis(5), Termination.EXITED, false, "");
        ExecResult result = kept.into(streamed);
        assertThat(result.stdoutText()).isEqualTo("abcd");
        assertThat(result.stderrText()).isEqualTo("e");
        assertThat(result.truncated()).isTrue();

        ExecResult buffered = new ExecResult(0, "all".getBytes(StandardCharsets.UTF_8), new byte[0], Duration.ofMillis(5),
                Termination.EXITED, false, "");
        assertThat(kept.into(buffered)).as("a provider that cannot stream returns its output itself").isSameAs(buffered);
    }

    private static void print(OutputListener listener, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        listener.stdout(bytes, 0, bytes.length);
    }
}
