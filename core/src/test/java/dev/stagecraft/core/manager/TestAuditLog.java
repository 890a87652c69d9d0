package dev.stagecraft.core.manager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestAuditLog {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);

    private static final AuditLog.Subject MEDIUM = new AuditLog.Subject("sc-abc", "sandbox", "medium", "me");

    @TempDir
    Path dir;

    private static AuditLog.Subject subject(String id, String kind, String level) {
        return new AuditLog.Subject(id, kind, level, "me");
    }

    @Test
    void writesOneJsonObjectPerLineWithTheCommonFields() throws IOException {
        Path file = dir.resolve("nested/audit.jsonl");
        AuditLog audit = new AuditLog(file, true, CLOCK);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("argv", List.of("sh", "-c", "echo \"quoted\"\nnewline"));
        fields.put("exitCode", 0);
        audit.record("exec", MEDIUM, "started", fields);
        audit.record("destroy", MEDIUM, "ok", Map.of());

        List<JsonNode> lines = AuditLines.read(file);
        assertThat(lines).hasSize(2);
        JsonNode exec = lines.get(0);
        assertThat(exec.path("time").asText()).isEqualTo("2030-01-02T03:04:05Z");
        assertThat(exec.path("action").asText()).isEqualTo("exec");
        assertThat(exec.path("environment").asText()).isEqualTo("sc-abc");
        assertThat(exec.path("kind").asText()).isEqualTo("sandbox");
        assertThat(exec.path("level").asText()).isEqualTo("medium");
        assertThat(exec.path("owner").asText()).isEqualTo("me");
        assertThat(exec.path("outcome").asText()).isEqualTo("started");
        assertThat(exec.fieldNames()).toIterable().startsWith("time", "action", "environment", "kind", "level", "owner", "outcome");
        assertThat(exec.path("argv").get(2).asText()).isEqualTo("echo \"quoted\"\nnewline");
        assertThat(exec.path("exitCode").asInt()).isZero();
        assertThat(lines.get(1).path("action").asText()).isEqualTo("destroy");
        assertThat(lines.get(1).path("outcome").asText()).isEqualTo("ok");
        assertThat(audit.file()).isEqualTo(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .as("audit records name commands and owners: owner-only").isEqualTo("rw-------");
    }

    @Test
    void disabledLogWritesOnlyMandatoryRecords() {
        Path file = dir.resolve("audit.jsonl");
        AuditLog audit = new AuditLog(file, false, CLOCK);
        audit.record("create", subject("sc-low", "sandbox", "medium"), "started", Map.of());
        assertThat(file).doesNotExist();
        audit.record("get-file", subject("sc-crit", "kvm", "critical"), "ok", Map.of("path", "out.txt"));
        List<JsonNode> lines = AuditLines.read(file);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).path("environment").asText()).isEqualTo("sc-crit");
        assertThat(lines.get(0).path("level").asText()).isEqualTo("critical");
        assertThat(lines.get(0).path("action").asText()).isEqualTo("get-file");
        assertThat(lines.get(0).path("path").asText()).isEqualTo("out.txt");
    }

    @Test
    void mandatoryRecordThatCannotBeWrittenFailsTheAction() throws IOException {
        Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
        AuditLog audit = new AuditLog(blocker.resolve("audit.jsonl"), true, CLOCK);
        assertThatCode(() -> audit.record("exec", subject("sc-1", "sandbox", "medium"), "started", Map.of()))
                .as("an optional record that cannot be written is dropped").doesNotThrowAnyException();
        assertThatThrownBy(() -> audit.record("exec", subject("sc-2", "kvm", "critical"), "started", Map.of()))
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
                    assertThat(e.getMessage()).startsWith("audit log " + blocker.resolve("audit.jsonl") + " cannot be written")
                            .endsWith("refusing a critical-level action without an audit record");
                });
    }

    @Test
    void concurrentWritersNeverInterleaveLines() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        List<AuditLog> logs = List.of(new AuditLog(file, true, CLOCK), new AuditLog(file, true, CLOCK));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                AuditLog log = logs.get(t % 2);
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        log.record("exec", subject("sc-" + thread, "sandbox", "medium"), "ok", Map.of("payload", "x".repeat(2000), "i", i));
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<JsonNode> lines = AuditLines.read(file);
        assertThat(lines).hasSize(200).allSatisfy(n -> assertThat(n.path("payload").asText()).hasSize(2000));
    }
}
