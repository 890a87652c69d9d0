package dev.stagecraft.cli;

import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exit codes as README's "Command line" lists them, in process: the command's own, 124 timed out, 125 no
 * environment could be made, 126 the command could not be started in it, 3 no such environment, 2 bad input, 1 other.
 */
class TestCliExitCodes {
    @TempDir
    Path state;

    private InProcess failingAt(String step) {
        return new InProcess(state).with(FailingProvider.FAIL_AT, step);
    }

    @Test
    void provisioningFailureIs125() {
        Outcome outcome = failingAt("create").run("run", "--provider", "failing", "--", "true");
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(125);
        assertThat(outcome.err()).contains("PROVISIONING_FAILED").contains("create refused");
    }

    @Test
    void execFailureInAMadeEnvironmentIs126NotTheNoEnvironmentCode() {
        Outcome outcome = failingAt("exec").run("run", "--provider", "failing", "--", "true");
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(126);
        assertThat(outcome.err()).contains("EXEC_FAILED").contains("cannot start 'true'");
    }

    @Test
    void envExecFailureIs126() {
        InProcess cli = failingAt("exec");
        Outcome created = cli.run("env", "create", "--provider", "failing");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();
        Outcome outcome = cli.run("env", "exec", id, "--", "true");
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(126);
        assertThat(outcome.err()).contains("EXEC_FAILED");
        assertThat(cli.run("env", "rm", id).exitCode()).isZero();
    }

    @Test
    void internalErrorIsOneEvenInRun() {
        Outcome outcome = failingAt("exec").run("run", "--provider", "failing", "--", "bug");
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(1);
        assertThat(outcome.err()).contains("internal error").contains("a bug, as configured").doesNotContain("\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"env exec sc-nosuch -- true", "env status sc-nosuch", "env stop sc-nosuch",
            "env rm sc-nosuch", "env cp sc-nosuch:a.txt ."})
    void missingEnvironmentIsNotFoundExit3(String args) {
        Outcome outcome = new InProcess(state).run(args.split(" "));
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(3);
        assertThat(outcome.err()).contains("NOT_FOUND").contains("sc-nosuch");
        assertThat(outcome.err().lines().filter(l -> l.startsWith("stagecraft:")).count()).isEqualTo(1);
    }

    @Test
    void aProgramThatIsNotThereIsTheCommandsOwn127AsInAShell() {
        InProcess cli = new InProcess(state);
        cli.requireSandbox();
        Outcome outcome = cli.run("run", "--", "stagecraft-no-such-program");
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(127);
        Outcome timedOut = cli.run("run", "--timeout", "1s", "--", "sleep", "30");
        assertThat(timedOut.exitCode()).isEqualTo(124);
        assertThat(cli.run("run", "--", "sh", "-c", "exit 7").exitCode()).isEqualTo(7);
    }
}
