package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.tck.BackendRequirement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code stagecraft mcp} spoken to by a client nobody here wrote: the official TypeScript SDK from npm, installed by
 * scripts/setup.d/50-mcp.sh into {@code STAGECRAFT_NPM_CACHE} (default {@code ~/.cache/stagecraft-npm}), running
 * src/test/resources/mcp/typescript-client.mjs under Node; its long run outlives the client's timeout only because
 * progress notifications start that timeout again.
 */
class TestMcpTypeScriptClient {
    @TempDir
    Path work;

    @Test
    void theTypeScriptClientListsTheToolsAndRunsCode() throws Exception {
        Path modules = npmCache().resolve("node_modules");
        if (!Files.isRegularFile(modules.resolve("@modelcontextprotocol/sdk/package.json"))) {
            BackendRequirement.missing("@modelcontextprotocol/sdk is not installed under " + modules
                    + ": run scripts/install-deps.sh mcp");
        }
        if (!runs("node", "--version")) {
            BackendRequirement.missing("node is not on the PATH: run scripts/install-deps.sh mcp");
        }
        McpClients.requireSandbox(work.resolve("state"));
        // Node resolves an ES module's imports from the script's own folder upwards: the script and a link to the
        // cache's node_modules sit side by side.
        Path script = work.resolve("typescript-client.mjs");
        try (InputStream in = getClass().getResourceAsStream("/mcp/typescript-client.mjs")) {
            Files.copy(in, script);
        }
        Files.createSymbolicLink(work.resolve("node_modules"), modules);

        List<String> command = new ArrayList<>(List.of("node", script.toString(),
                new ObjectMapper().writeValueAsString(McpClients.command())));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(work.resolve("stderr.txt").toFile());
        builder.environment().put("STAGECRAFT_STATE_DIR", work.resolve("state").toString());
        Process node = builder.start();
        node.getOutputStream().close();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(180, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(work.resolve("stderr.txt"));
        assertThat(node.exitValue()).as("stdout: %s%nstderr: %s", out, err).isZero();

        JsonNode result = new ObjectMapper().readTree(out);
        assertThat(result.get("server").get("name").asText()).isEqualTo("stagecraft");
        List<String> names = new ArrayList<>();
        for (JsonNode tool : result.get("tools")) {
            names.add(tool.get("name").asText());
            assertThat(tool.get("schemaType").asText()).as(tool.toString()).isEqualTo("object");
        }
        assertThat(names).containsExactlyInAnyOrder("run_code", "create_environment", "exec", "destroy_environment",
                "write_file", "read_file", "list_environments", "explain_selection");
        assertThat(result.get("run").get("isError").asBoolean()).isFalse();
        assertThat(result.get("run").get("text").asText()).startsWith("exit code 0 (EXITED)").contains("--- stdout ---\n42\n");
        assertThat(result.get("run").get("structured").get("stdout").asText()).isEqualTo("42\n");
        assertThat(result.get("bad").get("isError").asBoolean()).isTrue();
        assertThat(result.get("bad").get("text").asText()).isEqualTo("INVALID_REQUIREMENT: run_code: language: 'cobol' "
                + "is not known (known: bash, node, perl, python, ruby, sh)");

        JsonNode slow = result.get("slow");
        assertThat(slow.get("isError").asBoolean()).as(slow.toString()).isFalse();
        assertThat(slow.get("text").asText()).startsWith("exit code 0 (EXITED)").contains("step 2\ndone\n");
        List<String> messages = new ArrayList<>();
        double last = 0;
        for (JsonNode update : slow.get("progress")) {
            assertThat(update.get("progress").asDouble()).as("progress grows").isGreaterThan(last);
            last = update.get("progress").asDouble();
            messages.add(update.get("message").asText());
        }
        assertThat(messages).as("the last line printed (earlier ones may be passed over), then beats through the silence")
                .contains("step 2")
                .anyMatch(message -> message.matches("running for \\d+ s"));
    }

    private static Path npmCache() {
        String configured = System.getenv("STAGECRAFT_NPM_CACHE");
        return configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "stagecraft-npm");
    }

    private static boolean runs(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
