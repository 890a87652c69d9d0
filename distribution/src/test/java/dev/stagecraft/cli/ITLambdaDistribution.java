package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.cli.Distribution.Outcome;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.tck.BackendRequirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tarball's lambda plugin, loaded by PF4J from plugins/, pointed at the lambda plugin's test emulator as a user
 * points it at AWS: the region, the endpoint and the role by configuration overrides, the keys in AWS_ACCESS_KEY_ID
 * and AWS_SECRET_ACCESS_KEY (the default credential chain).
 */
class ITLambdaDistribution {
    @TempDir
    static Path work;
    static Distribution distribution;
    static LambdaEmulator emulator;

    @BeforeAll
    static void start() throws Exception {
        if (!LambdaEmulator.available()) {
            BackendRequirement.missing("the Lambda emulator runs functions under bubblewrap and prlimit, in cgroups of"
                    + " their own: apt-get install bubblewrap util-linux, and run the tests as root");
        }
        emulator = LambdaEmulator.start();
        distribution = Distribution.unpack(work);
    }

    @AfterAll
    static void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    static Map<String, String> toEmulator() {
        return Map.of("STAGECRAFT_PROVIDERS__LAMBDA__REGION", emulator.options().region(),
                "STAGECRAFT_PROVIDERS__LAMBDA__ENDPOINT", emulator.endpoint().toString(),
                "STAGECRAFT_PROVIDERS__LAMBDA__ROLE", LambdaEmulator.Options.ROLE,
                "AWS_ACCESS_KEY_ID", LambdaEmulator.Options.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", LambdaEmulator.Options.SECRET_KEY);
    }

    @Test
    void runsAShellCommandInAFunctionAndLeavesNone() throws Exception {
        Outcome outcome = distribution.run(toEmulator(), "run", "--provider", "lambda", "--", "sh", "-c", "echo hi");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).isEqualTo("hi\n");
        assertThat(emulator.functionNames()).as("run destroys its function").isEmpty();
    }

    @Test
    void doctorAndTheExplainedSelectionShowTheServerlessKind() throws Exception {
        Outcome plugins = distribution.run(Map.of(), "plugins");
        assertThat(plugins.out()).contains("lambda 0.1.0");
        JsonNode doctor = new ObjectMapper().readTree(distribution.run(toEmulator(), "doctor", "--json").out());
        JsonNode lambda = doctor.findParents("kind").stream().filter(p -> p.get("kind").asText().equals("lambda"))
                .findFirst().orElseThrow();
        assertThat(lambda.get("available").asBoolean()).as(lambda.toString()).isTrue();
        Outcome select = distribution.run(toEmulator(), "select", "--explain", "--provider", "lambda");
        assertThat(select.exitCode()).as(select.err()).isZero();
        assertThat(select.out()).contains("selected: lambda (isolation vm)");
        Outcome scored = distribution.run(toEmulator(), "select", "--explain");
        assertThat(scored.out()).as(scored.err()).containsPattern("\\+ lambda +total [0-9.-]+, isolation vm")
                .contains("startup 0.1s").contains("efficiency 7").contains("0.0300 per hour");
    }

    @Test
    void unconfiguredItIsUnavailableInOneLineAndTheRestWork() throws Exception {
        JsonNode doctor = new ObjectMapper().readTree(distribution.run(Map.of(), "doctor", "--json").out());
        JsonNode lambda = doctor.findParents("kind").stream().filter(p -> p.get("kind").asText().equals("lambda"))
                .findFirst().orElseThrow();
        assertThat(lambda.get("available").asBoolean()).isFalse();
        assertThat(lambda.toString()).contains("no AWS region configured");
        Outcome run = distribution.run(Map.of(), "run", "--", "sh", "-c", "echo still sandboxed");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("still sandboxed\n");
    }
}
