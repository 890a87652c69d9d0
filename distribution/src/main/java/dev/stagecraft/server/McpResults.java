package dev.stagecraft.server;

import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.cli.Json;
import dev.stagecraft.core.manager.EnvironmentInfo;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.util.Map;

/**
 * Tool results as a model reads them: plain text first (what ran, how it ended, the output), the HTTP API's JSON
 * document beside it as structured content for programs. A failure is an error result of one line, the stable
 * error code first; a command that ran and failed is not one (its exit code is in the text).
 */
final class McpResults {
    private McpResults() {
    }

    static CallToolResult text(String text) {
        return CallToolResult.builder().addTextContent(text).isError(false).build();
    }

    static CallToolResult text(String text, Map<String, Object> structured) {
        return CallToolResult.builder().addTextContent(text).structuredContent(structured).isError(false).build();
    }

    static CallToolResult error(StagecraftException e) {
        String message = e.getMessage() == null ? "" : e.getMessage().strip().replaceAll("\\s*\\R\\s*", "; ");
        return CallToolResult.builder().addTextContent(e.code() + ": " + message).isError(true).build();
    }

    static CallToolResult exec(String kind, String environmentId, ExecResult result) {
        StringBuilder text = new StringBuilder();
        text.append("exit code ").append(result.exitCode()).append(" (").append(result.termination()).append(") after ")
                .append(result.duration().toMillis()).append(" ms in ").append(kind).append(" environment ")
                .append(environmentId).append('\n');
        if (result.timedOut()) {
            text.append("timed out: the command was killed\n");
        } else if (!result.detail().isEmpty()) {
            text.append(result.detail()).append('\n');
        }
        if (result.truncated()) {
            text.append("output truncated: a stream reached the output limit, the rest is lost\n");
        }
        stream(text, "stdout", result.stdoutText());
        stream(text, "stderr", result.stderrText());
        return text(text.toString(), Json.run(kind, environmentId, result));
    }

    static CallToolResult environment(String verb, EnvironmentInfo info) {
        return text(verb + " " + line(info), Json.environment(info));
    }

    /** One environment on one line: id, kind, isolation, status, when it expires and its labels. */
    static String line(EnvironmentInfo info) {
        Map<String, Object> document = Json.environment(info);
        return info.id() + " kind=" + info.kind() + " isolation=" + document.get("isolation") + " status=" + info.status()
                + " expiresAt=" + (document.get("expiresAt") == null ? "never" : document.get("expiresAt"))
                + " labels=" + document.get("labels");
    }

    private static void stream(StringBuilder text, String name, String content) {
        if (content.isEmpty()) {
            text.append(name).append(": (empty)\n");
            return;
        }
        text.append("--- ").append(name).append(" ---\n").append(content);
        if (!content.endsWith("\n")) {
            text.append('\n');
        }
    }
}
