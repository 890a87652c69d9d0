package dev.stagecraft.core.manager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * Append-only audit log, one JSON object a line: {@code time}, {@code action}, {@code environment},
 * {@code kind}, {@code level}, {@code owner}, {@code outcome} and the action's own fields. Lines are
 * written whole through an {@link AppendOnlyFile} (0600, locked per line), so several processes can share it. Records the names
 * of environment variables, never their values, and never stdin.
 */
public final class AuditLog {
    private final Path file;
    private final AppendOnlyFile output;
    private final boolean enabled;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    public AuditLog(Path file, boolean enabled, Clock clock) {
        this.file = file;
        this.output = new AppendOnlyFile(file);
        this.enabled = enabled;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Whom and what a record is about. */
    public record Subject(String environmentId, String kind, String level, String owner) {
        public static Subject of(ExecutionEnvironment environment) {
            return new Subject(environment.id(), environment.kind(),
                    environment.labels().get(Labels.SECURITY_LEVEL).orElse(""), environment.labels().owner());
        }

        /** A critical-level environment is always audited. */
        public boolean critical() {
            return level.equals(SecurityLevel.CRITICAL.label());
        }
    }

    /**
     * Appends one record when auditing is on, or always for a critical-level subject. A critical record that
     * cannot be written fails the action: critical work is never unaudited.
     *
     * @param outcome {@code started} for a record written before the work, {@code ok} or {@code failed} after it
     */
    public void record(String action, Subject subject, String outcome, Map<String, Object> fields) {
        boolean mandatory = subject.critical();
        if (!enabled && !mandatory) {
            return;
        }
        ObjectNode line = json.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("action", action);
        line.put("environment", subject.environmentId());
        line.put("kind", subject.kind());
        line.put("level", subject.level());
        line.put("owner", subject.owner());
        line.put("outcome", outcome);
        fields.forEach((key, value) -> line.set(key, json.valueToTree(value)));
        try {
            output.appendLine(json.writeValueAsString(line));
        } catch (IOException e) {
            if (mandatory) {
                throw new StagecraftException(ErrorCode.INTERNAL, "audit log " + file + " cannot be written ("
                        + e.getMessage() + "); refusing a critical-level action without an audit record");
            }
        }
    }
}
