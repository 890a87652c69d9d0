package dev.stagecraft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code stagecraft mcp} as a child JVM on the test class path (the real sandbox in it), and the SDK's Java client. */
final class McpClients {
    private McpClients() {
    }

    /** The command line that starts {@code stagecraft mcp ARGS} in a new JVM. */
    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.stagecraft.cli.Main", "mcp"));
        command.addAll(List.of(args));
        return command;
    }

    /** A started and initialized client of {@code stagecraft mcp ARGS} with its state in {@code state}. */
    static McpSyncClient stdio(Path state, String... args) {
        requireSandbox(state);
        List<String> command = command(args);
        ServerParameters parameters = ServerParameters.builder(command.get(0)).args(command.subList(1, command.size()))
                .env(Map.of("STAGECRAFT_STATE_DIR", state.toString())).build();
        McpSyncClient client = McpClient.sync(new StdioClientTransport(parameters, new JacksonMcpJsonMapper(new ObjectMapper())))
                .requestTimeout(Duration.ofSeconds(120)).initializationTimeout(Duration.ofSeconds(60)).build();
        client.initialize();
        return client;
    }

    /** Fails under CI, skips elsewhere, when the sandbox cannot run on this host. */
    static void requireSandbox(Path state) {
        try (Stagecraft stagecraft = Stagecraft.builder().config(new ConfigLoader(null,
                Map.of("STAGECRAFT_STATE_DIR", state.toString())).load(null)).build()) {
            ServerFixture.requireSandbox(stagecraft);
        }
    }

    static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return client.callTool(new CallToolRequest(tool, arguments));
    }

    /** The result's text, all its text parts joined. */
    static String text(CallToolResult result) {
        StringBuilder text = new StringBuilder();
        result.content().forEach(content -> text.append(((TextContent) content).text()));
        return text.toString();
    }
}
