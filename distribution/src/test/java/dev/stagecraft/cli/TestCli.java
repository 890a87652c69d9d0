package dev.stagecraft.cli;

import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's handling of input, in process: exit codes and one clear line, never a stack trace. */
class TestCli {
    @TempDir
    Path state;

    private Outcome run(String... args) {
        return new InProcess(state).run(args);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "run --security extreme -- true | unknown security level 'extreme'",
            "run --memory 12x -- true | --memory: '12x' is not a size",
            "run --timeout -5s -- true | --timeout: '-5s' is not a duration",
            "run --isolation jail -- true | unknown isolation 'jail'",
            "run --cpus lots -- true | Invalid value for option '--cpus'",
            "run --expected-duration soon -- true | --expected-duration: 'soon' is not a duration",
            "run --label =x -- true | label key '' must be",
            "run | missing command",
            "run --bogus -- true | Unknown option: '--bogus'",
            "select --gpus -1 | gpus must be >= 0",
            "env exec | Missing required parameter",
            "frobnicate | Unmatched argument",
            "run --server http://127.0.0.1:1 --bogus -- true | Unknown option: '--bogus'",
            "select --server localhost:8700 | --server: 'localhost:8700' is not an http:// or https:// URL",
            "select --server http://127.0.0.1:1 --state-dir /tmp | --state-dir does not apply with --server",
            "keys ls --server http://127.0.0.1:1 | --server does not apply to keys ls",
            "plugins --server http://127.0.0.1:1 | --server does not apply to plugins",
            "serve --server http://127.0.0.1:1 | --server does not apply to serve",
            "env exec --server http://127.0.0.1:1 | Missing required parameter",
    })
    void badInputGivesOneLineAndExitTwo(String args, String message) {
        run(args.trim().split(" ")).failedInOneLine(2, message);
    }

    @Test
    void missingConfigFileIsBadInput() {
        Outcome outcome = run("doctor", "--config", state.resolve("nope.yaml").toString());
        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.err()).contains("INVALID_CONFIGURATION").contains("nope.yaml").contains("does not exist");
    }

    @Test
    void malformedConfigNamesFileAndLine() throws Exception {
        Path config = state.resolve("bad.yaml");
        Files.writeString(config, "owner: me\naudit:\n  enabled: [\n");
        Outcome outcome = run("select", "--config", config.toString());
        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.err()).contains("bad.yaml").contains("not valid YAML").contains("line");
    }

    @Test
    void unknownConfigKeyIsNamed() throws Exception {
        Path config = state.resolve("typo.yaml");
        Files.writeString(config, "environments:\n  default-tll: 5m\n");
        Outcome outcome = run("select", "--config", config.toString());
        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.err()).contains("typo.yaml: environments.default-tll: unknown key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "select", "plugins", "doctor", "env", "env create", "env ls", "env exec", "env status", "env stop", "env rm", "env cp"})
    void everyCommandHasHelp(String command) {
        String[] args = (command + " --help").split(" ");
        Outcome outcome = run(args);
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out()).startsWith("Usage: stagecraft " + command);
    }

    @Test
    void versionIsTheCoreVersion() {
        Outcome outcome = run("--version");
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out().trim()).matches("stagecraft \\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void noProviderForTheRequirementIsExit125WithAReason() {
        Outcome outcome = run("run", "--plugins-dir", state.resolve("empty").toString(), "--security", "critical", "--", "true");
        assertThat(outcome.exitCode()).isEqualTo(125);
        assertThat(outcome.err()).contains("NO_PROVIDER");
    }
}
