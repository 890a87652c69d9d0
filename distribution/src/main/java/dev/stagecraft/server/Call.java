package dev.stagecraft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One request as a route sees it: who sent it, the template's parameters, the query, a size-capped body, and its
 * {@link AuditRecord}.
 */
final class Call {
    private final HttpExchange exchange;
    private final Caller caller;
    private final List<String> parameters;
    private final ObjectMapper json;
    private final AuditRecord audit = new AuditRecord();

    Call(HttpExchange exchange, Caller caller, List<String> parameters, ObjectMapper json) {
        this.exchange = exchange;
        this.caller = caller;
        this.parameters = parameters;
        this.json = json;
    }

    ObjectMapper json() {
        return json;
    }

    String tenant() {
        return caller.tenant();
    }

    Caller caller() {
        return caller;
    }

    /** What this request did, for the audit of critical-level work: the route fills it in, the server writes it. */
    AuditRecord audit() {
        return audit;
    }

    /** The request's headers (names matched without regard to case). */
    Map<String, List<String>> headers() {
        return exchange.getRequestHeaders();
    }

    /** The {@code index}th {@code {...}} of the route's template, decoded. */
    String parameter(int index) {
        return parameters.get(index);
    }

    /** Every value of one query parameter, decoded, in order. */
    List<String> query(String name) {
        List<String> values = new ArrayList<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String key = decode(equals < 0 ? pair : pair.substring(0, equals));
            if (key.equals(name)) {
                values.add(equals < 0 ? "" : decode(pair.substring(equals + 1)));
            }
        }
        return values;
    }

    /** The body, refused with 413 past {@code most} bytes (before reading, when the client announced its length). */
    byte[] body(long most, String what) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > most) {
            throw ApiException.tooLarge(what, most);
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] content = in.readNBytes((int) Math.min(most + 1, Integer.MAX_VALUE - 8));
            if (content.length > most) {
                throw ApiException.tooLarge(what, most);
            }
            return content;
        }
    }

    /** The body as one JSON document; 400 with the parser's words when it is not one. */
    JsonNode jsonBody(long most) throws IOException {
        byte[] content = body(most, "the request body");
        if (content.length == 0) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(content);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw ApiException.badRequest("request body: not valid JSON" + where + ": " + e.getOriginalMessage());
        }
    }

    static String decode(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
