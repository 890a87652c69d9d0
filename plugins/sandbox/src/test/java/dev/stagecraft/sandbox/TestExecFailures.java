package dev.stagecraft.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.Termination;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A program bubblewrap cannot execute ends as it would in a shell: 127 when missing, 126 when not executable. */
class TestExecFailures {
    @TempDir
    Path stateDir;
    private ExecutionEnvironment env;

    @BeforeEach
    void create() {
        env = SandboxFixtures.usableProvider(stateDir, Map.of()).create(SandboxFixtures.spec());
    }

    @AfterEach
    void destroy() {
        env.destroy();
    }

    @Test
    void aMissingProgramExits127AndSaysWhich() {
        ExecResult result = env.execute(ExecRequest.of("no-such-program-here"));
        assertThat(result.exitCode()).isEqualTo(127);
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.detail()).isEqualTo("cannot execute no-such-program-here: No such file or directory");
    }

    @Test
    void aFileWithoutExecutePermissionExits126() {
        env.putFile("script.sh", "echo should not run\n".getBytes(UTF_8));
        ExecResult result = env.execute(ExecRequest.of("/workspace/script.sh"));
        assertThat(result.exitCode()).isEqualTo(126);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.detail()).contains("Permission denied");
    }

    @Test
    void aDirectoryIsNotAProgram() {
        assertThat(env.execute(ExecRequest.of("/usr")).exitCode()).isEqualTo(126);
    }

    @Test
    void aProgramThatExitsOneWithItsOwnMessageIsLeftAlone() {
        ExecResult result = env.execute(ExecRequest.of("sh", "-c", "echo 'bwrap: execvp pretend: No such file or directory' >&2; exit 2"));
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.detail()).isEmpty();
    }

    @Test
    void streamingCallersGetTheSameStatus() {
        ExecResult result = env.execute(ExecRequest.of("no-such-program-here"), new OutputListener() {
            @Override
            public void stdout(byte[] chunk, int offset, int length) {
            }

            @Override
            public void stderr(byte[] chunk, int offset, int length) {
            }
        });
        assertThat(result.exitCode()).isEqualTo(127);
    }
}
