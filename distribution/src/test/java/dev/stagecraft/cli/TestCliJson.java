package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --json} on every command: one JSON document on stdout, the result or {@code {"error":{...}}}. */
class TestCliJson {
    @TempDir
    Path state;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "run --json --bogus -- true | INVALID_REQUIREMENT | 2",
            "run --json --security extreme -- true | INVALID_REQUIREMENT | 2",
            "run --json --security critical -- true | NO_PROVIDER | 125",
            "select --json --gpus -1 | INVALID_REQUIREMENT | 2",
            "plugins --json --config /nonexistent/stagecraft.yaml | INVALID_CONFIGURATION | 2",
            "doctor --json --config /nonexistent/stagecraft.yaml | INVALID_CONFIGURATION | 2",
            "env create --json --security extreme | INVALID_REQUIREMENT | 2",
            "env ls --json --bogus | INVALID_REQUIREMENT | 2",
            "env exec --json sc-nosuch -- true | NOT_FOUND | 3",
            "env status --json sc-nosuch | NOT_FOUND | 3",
            "env stop --json sc-nosuch | NOT_FOUND | 3",
            "env rm --json sc-nosuch | NOT_FOUND | 3",
            "env cp --json sc-nosuch:a.txt . | NOT_FOUND | 3",
            "env cp --json a.txt b.txt | INVALID_REQUIREMENT | 2",
    })
    void aFailureIsOneJsonErrorOnStdoutAndOneLineOnStderr(String args, String code, int exitCode) {
        Outcome outcome = new InProcess(state).run(args.split(" "));
        assertThat(outcome.exitCode()).as(outcome.err()).isEqualTo(exitCode);
        JsonNode error = outcome.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank().doesNotContain("\n");
        assertThat(error.get("exitCode").asInt()).isEqualTo(exitCode);
        assertThat(outcome.err().lines().filter(l -> l.startsWith("stagecraft:")).toList())
                .singleElement().asString().contains(code);
    }

    @Test
    void aCommandThatCannotRunIsAJsonError() {
        Outcome outcome = new InProcess(state).with(FailingProvider.FAIL_AT, "exec")
                .run("run", "--json", "--provider", "failing", "--", "true");
        assertThat(outcome.exitCode()).isEqualTo(126);
        assertThat(outcome.json().get("error").get("code").asText()).isEqualTo("EXEC_FAILED");
    }

    @Test
    void selectWithoutAChoiceCarriesTheErrorObject() {
        Outcome outcome = new InProcess(state).run("select", "--json", "--security", "critical");
        assertThat(outcome.exitCode()).isEqualTo(125);
        JsonNode document = outcome.json();
        assertThat(document.get("chosen").isNull()).isTrue();
        assertThat(document.get("error").get("code").asText()).isEqualTo("NO_PROVIDER");
        assertThat(document.get("error").get("message").asText()).contains("sandbox");
        assertThat(document.get("candidates")).isNotEmpty();
    }

    @Test
    void runSelectPluginsDoctor() {
        InProcess cli = new InProcess(state);
        cli.requireSandbox();
        Outcome run = cli.run("run", "--json", "--explain", "--", "sh", "-c", "echo out; exit 4");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(4);
        JsonNode result = run.json();
        assertThat(result.get("provider").asText()).isEqualTo("sandbox");
        assertThat(result.get("exitCode").asInt()).isEqualTo(4);
        assertThat(result.get("stdout").asText()).isEqualTo("out\n");
        assertThat(result.get("termination").asText()).isEqualTo("EXITED");
        assertThat(result.get("selection").get("chosen").asText()).isEqualTo("sandbox");

        JsonNode select = cli.run("select", "--json").json();
        assertThat(select.get("chosen").asText()).isEqualTo("sandbox");
        assertThat(select.get("isolation").asText()).isEqualTo("container");
        assertThat(select.has("error")).isFalse();

        JsonNode plugins = cli.run("plugins", "--json").json();
        assertThat(plugins.get("core").asText()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(plugins.get("plugins")).isEmpty();
        assertThat(plugins.get("providers").findValuesAsText("kind")).contains("sandbox", "failing");

        Outcome doctor = cli.run("doctor", "--json");
        assertThat(doctor.exitCode()).isZero();
        JsonNode sandbox = findKind(doctor.json(), "sandbox");
        assertThat(sandbox.get("available").asBoolean()).isTrue();
        assertThat(sandbox.get("capabilities").get("isolation").toString()).contains("container");
        assertThat(findKind(doctor.json(), "failing").get("available").asBoolean()).isFalse();
    }

    @Test
    void environmentCommands() throws Exception {
        InProcess cli = new InProcess(state);
        cli.requireSandbox();
        JsonNode created = cli.run("env", "create", "--json", "--label", "team=blue").json();
        String id = created.get("id").asText();
        assertThat(id).startsWith("sc-");
        assertThat(created.get("kind").asText()).isEqualTo("sandbox");
        assertThat(created.get("status").asText()).isEqualTo("READY");
        assertThat(created.get("labels").get("team").asText()).isEqualTo("blue");

        JsonNode listed = cli.run("env", "ls", "--json", "--label", "team=blue").json();
        assertThat(listed.findValuesAsText("id")).containsExactly(id);

        JsonNode exec = cli.run("env", "exec", "--json", id, "--", "sh", "-c", "echo hi > note.txt; cat note.txt").json();
        assertThat(exec.get("environmentId").asText()).isEqualTo(id);
        assertThat(exec.get("stdout").asText()).isEqualTo("hi\n");
        assertThat(exec.get("exitCode").asInt()).isZero();

        Path local = state.resolve("note-copy.txt");
        JsonNode copied = cli.run("env", "cp", "--json", id + ":note.txt", local.toString()).json().get("copied");
        assertThat(copied.get("from").asText()).isEqualTo(id + ":note.txt");
        assertThat(copied.get("to").asText()).isEqualTo(local.toString());
        assertThat(copied.get("bytes").asLong()).isEqualTo(3);
        assertThat(Files.readString(local)).isEqualTo("hi\n");

        JsonNode status = cli.run("env", "status", "--json", id).json();
        assertThat(status.get("id").asText()).isEqualTo(id);
        assertThat(status.get("status").asText()).isEqualTo("READY");
        assertThat(status.get("usage").get("pids").isNumber()).isTrue();
        assertThat(status.get("expired").asBoolean()).isFalse();
        assertThat(Instant.parse(status.get("expiresAt").asText()))
                .isEqualTo(Instant.parse(created.get("createdAt").asText()).plusSeconds(created.get("ttlSeconds").asLong()));
        assertThat(Instant.parse(status.get("lastUsedAt").asText())).as("the exec and the copy were uses")
                .isAfter(Instant.parse(created.get("lastUsedAt").asText()));

        JsonNode stopped = cli.run("env", "stop", "--json", id).json();
        assertThat(stopped.get("status").asText()).isEqualTo("STOPPED");

        Outcome removed = cli.run("env", "rm", "--json", id);
        assertThat(removed.exitCode()).isZero();
        assertThat(removed.json().get("removed").get(0).asText()).isEqualTo(id);
        assertThat(removed.json().get("missing")).isEmpty();
        assertThat(removed.json().has("error")).isFalse();
    }

    private static JsonNode findKind(JsonNode providers, String kind) {
        for (JsonNode provider : providers) {
            if (provider.get("kind").asText().equals(kind)) {
                return provider;
            }
        }
        throw new AssertionError("no provider " + kind + " in " + providers);
    }
}
