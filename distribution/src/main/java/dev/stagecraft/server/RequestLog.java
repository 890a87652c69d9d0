package dev.stagecraft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON line per request: time, tenant, key id, method, route template (never the ids in it), status, duration; and
 * one per event of the server's own.
 */
final class RequestLog {
    private final PrintStream out;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    RequestLog(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    void record(Caller caller, String method, String route, int status, long startedNanos) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", clock.instant().toString());
        line.put("tenant", caller.tenant());
        line.put("keyId", caller.keyId());
        line.put("method", method);
        line.put("route", route);
        line.put("status", status);
        line.put("durationMs", (System.nanoTime() - startedNanos) / 1_000_000);
        write(line);
    }

    /** An event of the server's own (such as a reloaded certificate): its time, then {@code fields}. */
    void event(Map<String, Object> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", clock.instant().toString());
        line.putAll(fields);
        write(line);
    }

    private void write(Map<String, Object> line) {
        try {
            String text = json.writeValueAsString(line);
            synchronized (out) {
                out.println(text);
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of plain values always renders", e);
        }
    }
}
