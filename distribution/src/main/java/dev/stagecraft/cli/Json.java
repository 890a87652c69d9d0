package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.Termination;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.plugin.PluginStatus;
import dev.stagecraft.core.selection.CandidateReport;
import dev.stagecraft.core.selection.Selection;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON documents the commands print with {@code --json}, and the server answers with: plain maps, so the field
 * names are visible here.
 */
public final class Json {
    private Json() {
    }

    public static Map<String, Object> run(String kind, String environmentId, ExecResult result) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("provider", kind);
        map.put("environmentId", environmentId);
        map.put("exitCode", result.exitCode());
        map.put("stdout", result.stdoutText());
        map.put("stderr", result.stderrText());
        exactBytes(map, "stdoutBase64", result.stdout());
        exactBytes(map, "stderrBase64", result.stderr());
        map.put("durationMs", result.duration().toMillis());
        map.put("timedOut", result.timedOut());
        map.put("truncated", result.truncated());
        map.put("termination", result.termination().name());
        map.put("detail", result.detail());
        return map;
    }

    /**
     * Output that is not UTF-8 (binary, or cut inside a character at the output limit) is also given exactly, in
     * base64, since its text holds U+FFFD for the bytes that are not.
     */
    private static void exactBytes(Map<String, Object> map, String key, byte[] output) {
        if (!isUtf8(output)) {
            map.put(key, Base64.getEncoder().encodeToString(output));
        }
    }

    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The result {@link #run} describes, read back (a server's answer), with the output given apart. */
    static ExecResult result(Map<String, Object> run, byte[] stdout, byte[] stderr) {
        return new ExecResult(((Number) run.get("exitCode")).intValue(), stdout, stderr,
                Duration.ofMillis(((Number) run.get("durationMs")).longValue()),
                Termination.valueOf((String) run.get("termination")), Boolean.TRUE.equals(run.get("truncated")),
                String.valueOf(run.getOrDefault("detail", "")));
    }

    public static Map<String, Object> selection(Selection selection) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("chosen", selection.chosenKind().orElse(null));
        map.put("isolation", selection.chosenIsolation().map(IsolationLevel::label).orElse(null));
        List<Object> candidates = new ArrayList<>();
        for (CandidateReport report : selection.candidates()) {
            Map<String, Object> candidate = new LinkedHashMap<>();
            candidate.put("kind", report.kind());
            candidate.put("kept", report.kept());
            if (report.kept()) {
                candidate.put("isolation", report.isolation().map(IsolationLevel::label).orElse(null));
                candidate.put("total", report.total());
                Map<String, Object> scores = new LinkedHashMap<>();
                report.scores().forEach((name, score) -> scores.put(name, Map.of("points", score.points(), "reason", score.reason())));
                candidate.put("scores", scores);
            } else {
                candidate.put("droppedBy", report.droppedBy().orElse(null));
                candidate.put("reason", report.reason());
            }
            candidates.add(candidate);
        }
        map.put("candidates", candidates);
        if (selection.chosenKind().isEmpty()) {
            map.put("error", error(ErrorCode.NO_PROVIDER, selection.noProviderMessage(), ExitCodes.NO_ENVIRONMENT));
        }
        return map;
    }

    /** What {@code --json} prints, under the key {@code error}, when a command fails. */
    static Map<String, Object> error(ErrorCode code, String message, int exitCode) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("code", code.name());
        map.put("message", message);
        map.put("exitCode", exitCode);
        return map;
    }

    public static Map<String, Object> environment(EnvironmentInfo info) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", info.id());
        map.put("kind", info.kind());
        map.put("isolation", info.isolation().label());
        map.put("status", status(info));
        map.put("expired", info.expired());
        map.put("createdAt", info.createdAt().toString());
        map.put("uptimeSeconds", info.uptime().toSeconds());
        map.put("ttlSeconds", info.ttl().toSeconds());
        map.put("expiresAt", info.expiresAt().map(Object::toString).orElse(null));
        map.put("lastUsedAt", info.lastUsedAt().toString());
        map.put("labels", info.labels().userLabels());
        info.lastUsage().ifPresent(usage -> map.put("usage", usage(usage)));
        return map;
    }

    /** The backend's status, or {@code EXPIRED} for an environment past its TTL that is not reaped yet. */
    static String status(EnvironmentInfo info) {
        return info.expired() ? "EXPIRED" : info.status().name();
    }

    static Map<String, Object> usage(ResourceUsage usage) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("cpuPercent", usage.cpuPercent());
        map.put("memoryBytes", usage.memoryBytes());
        map.put("memoryLimitBytes", usage.memoryLimit());
        map.put("memoryPercent", usage.memoryPercent());
        map.put("networkRxBytes", usage.networkRxBytes());
        map.put("networkTxBytes", usage.networkTxBytes());
        map.put("pids", usage.pids());
        map.put("gpuPercent", usage.gpuPercent());
        map.put("gpuMemoryBytes", usage.gpuMemoryBytes());
        map.put("sampledAt", usage.sampledAt().toString());
        return map;
    }

    public static Map<String, Object> provider(ProviderReport report) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("kind", report.kind());
        map.put("version", report.version());
        map.put("origin", report.origin());
        map.put("available", report.health().available());
        map.put("reason", report.health().reason());
        map.put("remedies", report.health().remedies());
        map.put("details", report.health().details());
        report.capabilities().ifPresent(c -> map.put("capabilities", capabilities(c)));
        return map;
    }

    private static Map<String, Object> capabilities(ProviderCapabilities c) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("isolation", c.isolationLevels().stream().sorted().map(IsolationLevel::label).toList());
        map.put("startupSeconds", c.startupEstimate().toMillis() / 1000.0);
        map.put("executionEfficiency", c.executionEfficiency());
        map.put("costPerHour", c.costPerHour());
        map.put("gpu", c.gpu());
        map.put("network", c.network());
        map.put("persistentStorage", c.persistentStorage());
        return map;
    }

    static Map<String, Object> plugin(PluginStatus status) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("file", status.file().getFileName().toString());
        map.put("id", status.id());
        map.put("version", status.version());
        map.put("loaded", status.loaded());
        map.put("kinds", status.kinds());
        map.put("problem", status.problem());
        return map;
    }
}
