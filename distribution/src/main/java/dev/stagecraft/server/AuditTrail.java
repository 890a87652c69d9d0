package dev.stagecraft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.manager.AppendOnlyFile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server's audit of critical-level work: one JSON line per request or tool call whose {@link AuditRecord} is at
 * the critical level, with the tenant and the key id (never the key), written once its answer is known. The file is
 * an {@link AppendOnlyFile} (0600, its default folder {@code <state dir>/server} 0700), so a rotation needs no signal
 * and several processes ({@code serve}, {@code mcp}) can share it. A line that cannot be written is reported on
 * {@code warnings}: the work is done by then.
 */
final class AuditTrail {
    private final Path file;
    private final AppendOnlyFile output;
    private final Clock clock;
    private final PrintStream warnings;
    private final ObjectMapper json = new ObjectMapper();

    private AuditTrail(Path file, Clock clock, PrintStream warnings) {
        this.file = file;
        this.output = new AppendOnlyFile(file);
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
            new AppendOnlyFile(file).create();
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
            output.appendLine(json.writeValueAsString(line));
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
}
