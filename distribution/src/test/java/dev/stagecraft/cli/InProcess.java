package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.tck.BackendRequirement;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line run in this JVM ({@link Main#execute}) with a private state folder: the class path holds the real
 * sandbox provider and the test's {@link FailingProvider}.
 */
final class InProcess {
    record Outcome(int exitCode, String out, String err) {
        /** Asserts a failure: this exit code, one line {@code stagecraft: ...} naming {@code message}, no stack trace. */
        Outcome failedInOneLine(int expectedExitCode, String message) {
            assertThat(exitCode).as(err).isEqualTo(expectedExitCode);
            assertThat(err).contains(message).doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(err.lines().filter(line -> line.startsWith("stagecraft:")).count()).as(err).isEqualTo(1);
            return this;
        }

        /** Standard output read as the one JSON document it must be. */
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException("stdout is not one JSON document: " + out + "\nstderr: " + err, e);
            }
        }
    }

    private final Map<String, String> environment = new HashMap<>();

    InProcess(Path state) {
        environment.put("STAGECRAFT_STATE_DIR", state.toString());
    }

    /** The same, with one more environment variable (a {@code STAGECRAFT_*} configuration override). */
    InProcess with(String name, String value) {
        InProcess copy = new InProcess(Path.of(environment.get("STAGECRAFT_STATE_DIR")));
        copy.environment.putAll(environment);
        copy.environment.put(name, value);
        return copy;
    }

    Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = run(out, err, args);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The same, writing to streams the caller may read while the command line runs; returns the exit code. */
    int run(OutputStream out, OutputStream err, String... args) {
        return Main.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.copyOf(environment));
    }

    /** Fails under CI, skips elsewhere, when the sandbox cannot run on this host. */
    void requireSandbox() {
        JsonNode doctor = run("doctor", "--json").json();
        for (JsonNode provider : doctor) {
            if (provider.get("kind").asText().equals("sandbox")) {
                if (!provider.get("available").asBoolean()) {
                    BackendRequirement.missing("the sandbox cannot run here: " + provider.get("reason").asText());
                }
                return;
            }
        }
        throw new AssertionError("the sandbox provider is not on the test class path: " + doctor);
    }
}
