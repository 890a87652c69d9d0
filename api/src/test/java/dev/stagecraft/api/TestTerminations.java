package dev.stagecraft.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class TestTerminations {
    private static final byte[] OUT = {'o'};
    private static final byte[] ERR = {'e'};
    private static final Duration TOOK = Duration.ofMillis(42);

    @ParameterizedTest(name = "exit {0} is {1} ''{2}''")
    @CsvSource({
            "0, EXITED, ''",
            "1, EXITED, ''",
            "127, EXITED, ''",
            "128, EXITED, ''",
            "129, SIGNALED, killed by signal 1",
            "137, SIGNALED, killed by signal 9",
            "143, SIGNALED, killed by signal 15",
            "192, SIGNALED, killed by signal 64",
            "193, EXITED, ''",
            "255, EXITED, ''",
    })
    void readsAnExitCodeAsAShellReportsIt(int code, Termination termination, String detail) {
        ExecResult result = Terminations.ended(code, OUT, ERR, TOOK, true);

        assertThat(result.exitCode()).isEqualTo(code);
        assertThat(result.termination()).isEqualTo(termination);
        assertThat(result.detail()).isEqualTo(detail);
        assertThat(result.stdout()).isEqualTo(OUT);
        assertThat(result.stderr()).isEqualTo(ERR);
        assertThat(result.duration()).isEqualTo(TOOK);
        assertThat(result.truncated()).isTrue();
    }

    @Test
    void signalsAndTheirExitCodesAreTheSameRule() {
        assertThat(Terminations.exitCodeOf(9)).isEqualTo(137);
        assertThat(Terminations.signalOf(137)).isEqualTo(9);
        assertThat(Terminations.signalOf(1)).as("a plain exit names no signal").isZero();
        assertThat(Terminations.signalOf(200)).as("beyond the last signal").isZero();
    }

    @ParameterizedTest(name = "a timeout of {0} ms reads ''{1}''")
    @CsvSource({
            "5000, killed: timeout 5s passed",
            "250, killed: timeout 250ms passed",
            "1500, killed: timeout 1500ms passed",
    })
    void aTimeoutIsExitCode124AndSaysWhichTimeout(long millis, String detail) {
        ExecResult result = Terminations.timedOut(Duration.ofMillis(millis), OUT, ERR, TOOK, false);

        assertThat(result.exitCode()).isEqualTo(ExecResult.TIMEOUT_EXIT_CODE).isEqualTo(124);
        assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(result.timedOut()).isTrue();
        assertThat(result.detail()).isEqualTo(detail);
        assertThat(result.stdout()).isEqualTo(OUT);
    }

    @Test
    void theLimitTextsAreTheSameOnEveryKind() {
        assertThat(Terminations.memoryLimit(64L << 20)).isEqualTo("killed: memory limit 64m");
        assertThat(Terminations.processLimit(24)).isEqualTo("failed: process limit 24 reached");
        assertThat(Terminations.fileSizeLimit(8L << 20)).isEqualTo("killed: file size limit 8m (SIGXFSZ)");
    }

    @Test
    void aNoteIsAddedAfterTheDetail() {
        ExecResult killed = Terminations.ended(137, OUT, ERR, TOOK, false);

        assertThat(killed.withNote("the connection was re-established").detail())
                .isEqualTo("killed by signal 9; the connection was re-established");
        assertThat(Terminations.ended(0, OUT, ERR, TOOK, false).withNote("a note").detail()).isEqualTo("a note");
        assertThat(killed.withNote("").detail()).isEqualTo("killed by signal 9");
        assertThat(killed.withNote("x").termination()).isEqualTo(Termination.SIGNALED);
    }
}
