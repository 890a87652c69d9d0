package dev.stagecraft.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The exec agent's shell script ({@code agent.sh} next to this class), ready to be a container's entrypoint: comment
 * lines dropped, the command wrapper of {@link CommandRunner}, its PID file and the default PATH filled in. The
 * container runs {@code sh -c SCRIPT}; the script itself says what it reads and writes.
 */
final class AgentScript {
    private static final String TEMPLATE = load();

    private AgentScript() {
    }

    /**
     * The entrypoint of a container whose main process is the agent, with {@code defaultPath} as the PATH of commands
     * whose request sets none (a request then names it as {@code "$D"}, not byte by byte).
     */
    static List<String> entrypoint(String defaultPath) {
        return command(defaultPath, CommandRunner.AGENT_PID_FILE, "while :; do sleep 3600; done");
    }

    /**
     * An extra agent, started by an Engine exec for commands that come while the container's agent is busy: its
     * commands write their PID to {@code pidFile}, and it exits at the end of its input (its exec's connection closed).
     */
    static List<String> extra(String defaultPath, String pidFile) {
        return command(defaultPath, pidFile, "exit 0");
    }

    private static List<String> command(String defaultPath, String pidFile, String atEnd) {
        String script = TEMPLATE.replace("@WRAPPER@", quoted(CommandRunner.AGENT_WRAPPER))
                .replace("@PATH@", quoted("PATH=" + defaultPath))
                .replace("@PIDFILE@", quoted(pidFile))
                .replace("@END@", atEnd);
        return List.of("sh", "-c", script, "stagecraft-agent");
    }

    private static String quoted(String value) {
        return new String(AgentRequest.quote(value), StandardCharsets.UTF_8);
    }

    private static String load() {
        String text;
        try (InputStream in = AgentScript.class.getResourceAsStream("agent.sh")) {
            if (in == null) {
                throw new IllegalStateException("agent.sh is missing from the docker plugin");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.lines().filter(line -> !line.stripLeading().startsWith("#")).collect(Collectors.joining("\n", "", "\n"));
    }
}
