package dev.stagecraft.kvm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The guest agent's JSON framing, through Jackson: a request is {@code {"execute":..., "arguments":...}}, a reply
 * {@code {"return": ...}} or {@code {"error": ...}}. Replies are read untyped (maps, lists, strings, numbers,
 * booleans), as the agent's replies differ per command.
 */
final class AgentMessages {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private AgentMessages() {
    }

    /** The request for {@code command}; {@code arguments} in their iteration order, none when null. */
    static String request(String command, Map<String, ?> arguments) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("execute", command);
        if (arguments != null) {
            request.put("arguments", arguments);
        }
        try {
            return MAPPER.writeValueAsString(request);
        } catch (JsonProcessingException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot write the guest agent request " + command + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /** The {@code return} value of the agent's {@code reply} to {@code command}; its error as an exception. */
    static Object returned(String command, String reply) {
        Map<String, Object> map;
        try {
            map = MAPPER.readValue(reply, OBJECT);
        } catch (JsonProcessingException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "guest agent's reply to " + command + " is not JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        }
        if (map.containsKey("error")) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "guest agent refused " + command + ": " + map.get("error"));
        }
        return map.get("return");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String what) {
        if (!(value instanceof Map)) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, what + " is not a JSON object: " + value);
        }
        return (Map<String, Object>) value;
    }
}
