package dev.stagecraft.server;

import java.util.Map;

/** What one route answers: a status, a content type and a body (JSON rendered by the server, or raw bytes). */
record Response(int status, Object json, byte[] bytes, Map<String, String> headers) {
    static Response json(int status, Object document) {
        return new Response(status, document, null, Map.of());
    }

    static Response ok(Object document) {
        return json(200, document);
    }

    static Response bytes(byte[] content) {
        return new Response(200, null, content, Map.of());
    }

    static Response noContent() {
        return new Response(204, null, null, Map.of());
    }

    Response withHeader(String name, String value) {
        Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        all.put(name, value);
        return new Response(status, json, bytes, all);
    }
}
