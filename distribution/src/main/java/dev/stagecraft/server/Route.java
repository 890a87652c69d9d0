package dev.stagecraft.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One method and path template, e.g. {@code GET /v1/environments/{id}}; a last segment {@code {path...}} takes the
 * rest of the path. {@code access} says which key, if any, it needs.
 */
record Route(String method, String template, Access access, Handler handler) {
    interface Handler {
        Response handle(Call call) throws IOException;
    }

    /** Who may call a route. */
    enum Access {
        /** Anyone: the probes, the metrics, the OpenAPI document. */
        OPEN,
        /** Any key, as a bearer token; it acts for its tenant. */
        KEY,
        /** An operator key ({@code keys create --operator}), as a bearer token or a Basic password: it sees every tenant. */
        OPERATOR
    }

    static Route of(String method, String template, Handler handler) {
        return new Route(method, template, Access.KEY, handler);
    }

    static Route open(String method, String template, Handler handler) {
        return new Route(method, template, Access.OPEN, handler);
    }

    static Route operator(String method, String template, Handler handler) {
        return new Route(method, template, Access.OPERATOR, handler);
    }

    /** The decoded parameters when {@code rawPath} fits the template. */
    Optional<List<String>> match(String rawPath) {
        String[] want = template.substring(1).split("/");
        String[] got = rawPath.substring(1).split("/", -1);
        List<String> parameters = new ArrayList<>();
        for (int i = 0; i < want.length; i++) {
            if (i >= got.length) {
                return Optional.empty();
            }
            if (want[i].endsWith("...}")) {
                String rest = String.join("/", java.util.Arrays.copyOfRange(got, i, got.length));
                if (rest.isEmpty()) {
                    return Optional.empty();
                }
                parameters.add(Call.decode(rest));
                return Optional.of(parameters);
            }
            if (want[i].startsWith("{")) {
                if (got[i].isEmpty()) {
                    return Optional.empty();
                }
                parameters.add(Call.decode(got[i]));
            } else if (!want[i].equals(got[i])) {
                return Optional.empty();
            }
        }
        return got.length == want.length ? Optional.of(parameters) : Optional.empty();
    }
}
