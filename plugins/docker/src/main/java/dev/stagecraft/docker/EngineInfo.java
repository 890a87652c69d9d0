package dev.stagecraft.docker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code GET /info} says that matters here: the runtimes (with their arguments), the default runtime, CPUs,
 * memory, storage and cgroup drivers. Read with Jackson's streaming parser rather than its ObjectMapper, so that
 * {@code describe()} (called for every provider on every selection, e.g. each CLI {@code run}) stays cheap.
 */
record EngineInfo(Map<String, List<String>> runtimes, String defaultRuntime, long cpus, long memoryBytes,
                  String storageDriver, String cgroupDriver, Instant readAt) {

    static EngineInfo parse(String body, Instant readAt) {
        Map<String, List<String>> runtimes = new TreeMap<>();
        String defaultRuntime = "";
        long cpus = 0;
        long memory = 0;
        String driver = "";
        String cgroupDriver = "";
        try (JsonParser p = new JsonFactory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "Runtimes" -> {
                        if (value == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String name = p.currentName();
                                p.nextToken();
                                runtimes.put(name, runtimeArgs(p));
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "DefaultRuntime" -> defaultRuntime = p.getValueAsString("");
                    case "NCPU" -> cpus = p.getValueAsLong(0);
                    case "MemTotal" -> memory = p.getValueAsLong(0);
                    case "Driver" -> driver = p.getValueAsString("");
                    case "CgroupDriver" -> cgroupDriver = p.getValueAsString("");
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "the Docker Engine's /info does not parse: "
                    + Engine.oneLine(String.valueOf(e.getMessage())), e);
        }
        return new EngineInfo(Map.copyOf(runtimes), defaultRuntime, cpus, memory, driver, cgroupDriver, readAt);
    }

    /** The {@code runtimeArgs} of one runtime's object, the parser at its start; skips the rest of it. */
    private static List<String> runtimeArgs(JsonParser p) throws IOException {
        List<String> args = new ArrayList<>();
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return List.of();
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("runtimeArgs") && value == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    args.add(p.getValueAsString(""));
                }
            } else {
                p.skipChildren();
            }
        }
        return List.copyOf(args);
    }
}
