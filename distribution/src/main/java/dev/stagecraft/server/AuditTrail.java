package dev.stagecraft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's audit of critical-level work: one JSON line per request or tool call whose {@link AuditRecord} is at
 * the critical level, with the tenant and the key id (never the key), written once its answer is known. The file is
 * made mode 0600 (its default folder, {@code <state dir>/server}, 0700) and opened for each line in append mode under
 * a file lock, so a rotation that renames it needs no signal and several processes ({@code serve}, {@code mcp}) can
 * share it. A line that cannot be written is reported on {@code warnings}: the work is done by then.
 */
final class AuditTrail {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path file;
    private final Clock clock;
    private final PrintStream warnings;
    private final ObjectMapper json = new ObjectMapper();

    private AuditTrail(Path file, Clock clock, PrintStream warnings) {
        this.file = file;
        this.clock = clock;
        this.warnings = warnings;
    }

    /**
     * The trail at {@code server.audit-log} (relative to the state folder), or {@code <state dir>/server/audit.jsonl};
     * refused with one line when it cannot be written, so a server never starts without its audit.
     */
    static AuditTrail open(Path stateDirectory, ServerSettings settings, Clock clock, PrintStream warnings) {
        Path file = settings.auditLog().map(stateDirectory::resolve)
                .orElse(stateDirectory.resolve("server").resolve("audit.jsonl")).toAbsolutePath().normalize();
        try {
            Path folder = file.getParent();
            Files.createDirectories(folder);
            if (settings.auditLog().isEmpty()) {
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            }
            try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE), ownerOnly())) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new StagecraftException(ErrorCode.INVALID_CONFIGURATION, "server.audit-log: cannot write " + file
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); critical-level work is never"
                    + " served unaudited");
        }
        return new AuditTrail(file, clock, warnings);
    }

    /**
     * Writes one line when {@code record} is critical: time, tenant, keyId, then {@code via} (the route or the tool),
     * the record's fields and, for HTTP, the status answered.
     */
    void write(Caller caller, Map<String, String> via, AuditRecord record, Integer status) {
        if (!record.critical()) {
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", clock.instant().toString());
        line.put("tenant", caller.tenant());
        line.put("keyId", caller.keyId());
        line.putAll(via);
        line.putAll(record.fields());
        if (status != null) {
            line.put("status", status);
        }
        try {
            append((json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            String text;
            try {
                text = json.writeValueAsString(Map.of("time", clock.instant().toString(), "auditFailed", file.toString(),
                        "reason", String.valueOf(e.getMessage()), "line", line));
            } catch (JsonProcessingException again) {
                text = "audit log " + file + " cannot be written: " + e.getMessage();
            }
            synchronized (warnings) {
                warnings.println(text);
            }
        }
    }

    /** One line, whole: threads of this process take turns (a file lock is held per process), then lock out others. */
    private void append(byte[] bytes) throws IOException {
        synchronized (IN_PROCESS.computeIfAbsent(file, key -> new Object())) {
            write(bytes);
        }
    }

    private void write(byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), ownerOnly()); FileLock lock = channel.lock()) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(OWNER_ONLY);
    }
}
