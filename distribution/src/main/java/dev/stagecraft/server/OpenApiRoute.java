package dev.stagecraft.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /v1/openapi.json}: the hand-written OpenAPI 3.1 document of every route, open like {@code /healthz} so a
 * client generator or a person can read it without a key. {@code TestOpenApiTraffic} checks it against the routes and
 * against real traffic.
 */
final class OpenApiRoute {
    static final String RESOURCE = "openapi.json";

    private OpenApiRoute() {
    }

    static Route route() {
        byte[] document = document();
        return Route.open("GET", "/v1/openapi.json",
                call -> Response.bytes(document).withHeader("Content-Type", "application/json"));
    }

    /** The document as it ships, beside this class in the jar. */
    static byte[] document() {
        try (InputStream in = OpenApiRoute.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
