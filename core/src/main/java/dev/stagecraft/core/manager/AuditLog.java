package dev.stagecraft.core.manager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;

/**
 * Append-only audit log, one JSON object a line: {@code time}, {@code action} (create, exec, stop, destroy,
 * reap), {@code environment}, {@code kind}, {@code level}, {@code owner} and the action's own fields. The
 * file is opened in append mode and locked per line, so several processes can share it. Records the names
 * of environment variables, never their values, and never stdin.
 */
public final class AuditLog {
    private static final java.util.concurrent.ConcurrentMap<Path, Object> IN_PROCESS = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path file;
    private final boolean enabled;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    public AuditLog(Path file, boolean enabled, Clock clock) {
        this.file = file;
        this.enabled = enabled;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /**
     * Appends one record when auditing is on, or always when {@code mandatory} (the critical level).
     * A mandatory record that cannot be written fails the action: critical work is never unaudited.
     */
    public void record(String action, String environmentId, String kind, String level, boolean mandatory,
                       Map<String, Object> fields) {
        if (!enabled && !mandatory) {
            return;
        }
        ObjectNode line = json.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("action", action);
        line.put("environment", environmentId);
        line.put("kind", kind);
        line.put("level", level);
        fields.forEach((key, value) -> line.set(key, json.valueToTree(value)));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = (json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            // A file lock is held per JVM: two threads of one process locking the same file would get an
            // OverlappingFileLockException, so writers in this process take turns first, then lock against others.
            synchronized (IN_PROCESS.computeIfAbsent(file.toAbsolutePath().normalize(), key -> new Object())) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                        StandardOpenOption.WRITE); var lock = channel.lock()) {
                    channel.write(java.nio.ByteBuffer.wrap(bytes));
                }
            }
        } catch (IOException e) {
            if (mandatory) {
                throw new StagecraftException(ErrorCode.INTERNAL, "audit log " + file + " cannot be written ("
                        + e.getMessage() + "); refusing a critical-level action without an audit record");
            }
        }
    }
}
