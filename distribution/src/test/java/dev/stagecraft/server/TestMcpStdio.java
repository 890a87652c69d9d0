package dev.stagecraft.server;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.stagecraft.server.McpClients.call;
import static dev.stagecraft.server.McpClients.text;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code stagecraft mcp} in a child process, spoken to by the MCP Java SDK's client over its standard streams. */
class TestMcpStdio {
    @TempDir
    static Path state;

    private static McpSyncClient client;

    @BeforeAll
    static void start() {
        client = McpClients.stdio(state);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.closeGracefully();
        }
    }

    @Test
    void everyToolIsListedWithAnObjectSchemaAndADescription() {
        List<Tool> tools = client.listTools().tools();
        assertThat(tools).extracting(Tool::name).containsExactlyInAnyOrder("run_code", "create_environment", "exec",
                "destroy_environment", "write_file", "read_file", "list_environments", "explain_selection");
        for (Tool tool : tools) {
            assertThat(tool.description()).as(tool.name()).isNotBlank();
            assertThat(tool.inputSchema().get("type")).as(tool.name()).isEqualTo("object");
            assertThat((Map<?, ?>) tool.inputSchema().get("properties")).as(tool.name()).isNotEmpty();
        }
        assertThat(client.getServerInfo().name()).isEqualTo("stagecraft");
    }

    @Test
    void runCodeRunsPythonAndAFailingCommandIsAResultWithItsExitCode() {
        CallToolResult python = call(client, "run_code", Map.of("language", "python", "code", "print(6*7)"));
        assertThat(python.isError()).isFalse();
        assertThat(text(python)).startsWith("exit code 0 (EXITED)").contains("--- stdout ---\n42\n").contains("stderr: (empty)");
        assertThat(((Map<?, ?>) python.structuredContent()).get("stdout")).isEqualTo("42\n");

        CallToolResult failing = call(client, "run_code", Map.of("argv", List.of("sh", "-c", "echo oops >&2; exit 3")));
        assertThat(failing.isError()).isFalse();
        assertThat(text(failing)).startsWith("exit code 3 (EXITED)").contains("--- stderr ---\noops\n");
    }

    @Test
    void aBadArgumentIsAnErrorResultOfOneLineNamingIt() {
        CallToolResult unknownLanguage = call(client, "run_code", Map.of("language", "cobol", "code", "x"));
        assertThat(unknownLanguage.isError()).isTrue();
        assertThat(text(unknownLanguage)).isEqualTo("INVALID_REQUIREMENT: run_code: language: 'cobol' is not known "
                + "(known: bash, node, perl, python, ruby, sh)");

        CallToolResult unknownField = call(client, "run_code", Map.of("code", "x", "langauge", "python"));
        assertThat(unknownField.isError()).isTrue();
        assertThat(text(unknownField)).startsWith("INVALID_REQUIREMENT: run_code: langauge: unknown field (known: ")
                .doesNotContain("\n");

        CallToolResult badMemory = call(client, "create_environment", Map.of("memory", "lots"));
        assertThat(badMemory.isError()).isTrue();
        assertThat(text(badMemory)).startsWith("INVALID_REQUIREMENT: create_environment: memory: ").doesNotContain("\n");

        CallToolResult unknownId = call(client, "exec", Map.of("id", "sc-aaaaaaaaaa", "command", "true"));
        assertThat(unknownId.isError()).isTrue();
        assertThat(text(unknownId)).startsWith("NOT_FOUND: ").contains("sc-aaaaaaaaaa").doesNotContain("\n");
    }

    @Test
    void anEnvironmentIsCreatedUsedWithFilesListedAndDestroyed() {
        CallToolResult created = call(client, "create_environment", Map.of("security", "medium", "ttl", "10m",
                "labels", Map.of("job", "mcp")));
        assertThat(created.isError()).as(text(created)).isFalse();
        String id = (String) ((Map<?, ?>) created.structuredContent()).get("id");
        assertThat(text(created)).startsWith("created " + id + " kind=sandbox");

        assertThat(text(call(client, "write_file", Map.of("id", id, "path", "in/data.txt", "content", "hello\n"))))
                .isEqualTo("wrote 6 bytes to in/data.txt in " + id);
        CallToolResult exec = call(client, "exec", Map.of("id", id, "command", "tr a-z A-Z < in/data.txt > out.txt; cat out.txt"));
        assertThat(text(exec)).contains("--- stdout ---\nHELLO\n");
        assertThat(text(call(client, "read_file", Map.of("id", id, "path", "out.txt")))).isEqualTo("HELLO\n");
        CallToolResult escape = call(client, "read_file", Map.of("id", id, "path", "../../etc/passwd"));
        assertThat(escape.isError()).isTrue();
        assertThat(text(escape)).startsWith("PATH_ESCAPE: ");

        CallToolResult listed = call(client, "list_environments", Map.of("labels", Map.of("job", "mcp")));
        assertThat(text(listed)).startsWith("1 environment(s)\n" + id + " kind=sandbox");
        assertThat(text(call(client, "list_environments", Map.of("labels", Map.of("job", "other")))))
                .isEqualTo("0 environment(s)\n");

        assertThat(text(call(client, "destroy_environment", Map.of("id", id)))).isEqualTo("destroyed " + id);
        assertThat(call(client, "destroy_environment", Map.of("id", id)).isError()).isTrue();
    }

    @Test
    void explainSelectionSaysWhatWouldBeChosenAndWhy() {
        CallToolResult explained = call(client, "explain_selection", Map.of("security", "medium"));
        assertThat(explained.isError()).isFalse();
        assertThat(text(explained)).startsWith("selected: sandbox").contains("requirement: security medium");
    }

    @Test
    void anotherTenantSeesNoneOfThisOnesEnvironments() {
        String id = (String) ((Map<?, ?>) call(client, "create_environment", Map.of("ttl", "10m")).structuredContent()).get("id");
        McpSyncClient other = McpClients.stdio(state, "--tenant", "someone-else");
        try {
            assertThat(text(call(other, "list_environments", Map.of()))).doesNotContain(id);
            CallToolResult foreign = call(other, "exec", Map.of("id", id, "command", "true"));
            assertThat(foreign.isError()).isTrue();
            assertThat(text(foreign)).startsWith("NOT_FOUND: ");
        } finally {
            other.closeGracefully();
            call(client, "destroy_environment", Map.of("id", id));
        }
    }
}
