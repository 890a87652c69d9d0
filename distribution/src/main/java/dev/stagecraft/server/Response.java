package dev.stagecraft.server;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * What one route answers: a status, a content type and a body (JSON rendered by the server, raw bytes, or a body
 * written while it is produced, as chunks).
 */
record Response(int status, Object json, byte[] bytes, Map<String, String> headers, Streamed streamed) {
    /** A body written as it is produced; closed once written, or when it cannot be sent at all. */
    interface Streamed extends AutoCloseable {
        void write(OutputStream out) throws IOException;

        @Override
        default void close() {
        }
    }

    static Response json(int status, Object document) {
        return new Response(status, document, null, Map.of(), null);
    }

    static Response ok(Object document) {
        return json(200, document);
    }

    static Response bytes(byte[] content) {
        return new Response(200, null, content, Map.of(), null);
    }

    static Response noContent() {
        return new Response(204, null, null, Map.of(), null);
    }

    static Response streamed(String contentType, Streamed body) {
        return new Response(200, null, null, Map.of("Content-Type", contentType), body);
    }

    Response withHeader(String name, String value) {
        Map<String, String> all = new java.util.LinkedHashMap<>(headers);
        all.put(name, value);
        return new Response(status, json, bytes, all, streamed);
    }
}
