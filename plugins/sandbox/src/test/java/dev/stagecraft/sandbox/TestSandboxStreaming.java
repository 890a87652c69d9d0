package dev.stagecraft.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.OutputListener;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming execute hands output to the listener as it comes, capped like the buffered one. */
class TestSandboxStreaming {
    @TempDir
    Path stateDir;

    @Test
    void outputGoesToTheListenerUpToTheCap() {
        ExecutionEnvironment env = SandboxFixtures.usableProvider(stateDir, Map.of()).create(SandboxFixtures.spec());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "echo one; echo two >&2; head -c 100000 /dev/zero")
                    .outputLimit(1000).build(), new OutputListener() {
                        @Override
                        public synchronized void stdout(byte[] chunk, int offset, int length) {
                            out.write(chunk, offset, length);
                        }

                        @Override
                        public synchronized void stderr(byte[] chunk, int offset, int length) {
                            err.write(chunk, offset, length);
                        }
                    });
            assertThat(result.exitCode()).isZero();
            assertThat(result.truncated()).isTrue();
            assertThat(result.stdout()).isEmpty();
            assertThat(out.size()).isEqualTo(1000);
            assertThat(new String(out.toByteArray(), 0, 4, UTF_8)).isEqualTo("one\n");
            assertThat(err.toString(UTF_8)).isEqualTo("two\n");
        } finally {
            env.destroy();
        }
    }
}
