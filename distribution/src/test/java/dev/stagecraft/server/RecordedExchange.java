package dev.stagecraft.server;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One request a test sent and the answer it got, as they went over the wire, for {@link OpenApiContract}. */
record RecordedExchange(String method, URI uri, Map<String, List<String>> requestHeaders, byte[] requestBody,
                        int status, Map<String, List<String>> responseHeaders, byte[] responseBody) {

    Optional<String> requestHeader(String name) {
        return first(requestHeaders, name);
    }

    Optional<String> responseHeader(String name) {
        return first(responseHeaders, name);
    }

    private static Optional<String> first(Map<String, List<String>> headers, String name) {
        return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name))
                .flatMap(entry -> entry.getValue().stream()).findFirst();
    }

    @Override
    public String toString() {
        return method + " " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()) + " -> " + status;
    }
}
