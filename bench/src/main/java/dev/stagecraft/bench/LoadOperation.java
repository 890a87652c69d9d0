package dev.stagecraft.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One operation of the load, as one tenant, marked with its own nonce: the command it runs prints the nonce it was
 * given in its environment and the one on its standard input, so output that reached the wrong request shows.
 */
enum LoadOperation {
    RUN("POST /v1/run") {
        @Override
        void run(Call call) {
            JsonNode answer = call.json(call.post("/v1/run", call.command(Map.of()), "application/json"), 200);
            call.expectOutput(answer == null ? null : answer.path("stdout").asText());
        }
    },
    RUN_STREAMED("POST /v1/run, NDJSON") {
        @Override
        void run(Call call) {
            HttpResponse<String> response = call.post("/v1/run", call.command(Map.of()), "application/x-ndjson");
            if (call.expect(response, 200)) {
                StringBuilder stdout = new StringBuilder();
                JsonNode last = null;
                for (String line : response.body().split("\n")) {
                    last = BenchServer.parse(line);
                    stdout.append(last.path("stdout").asText(""));
                }
                if (last == null || last.path("result").path("exitCode").asInt(-1) != 0) {
                    call.fail("the stream did not end with a result of exit 0: " + response.body());
                }
                call.expectOutput(stdout.toString());
            }
        }
    },
    EXEC("POST /v1/environments/{id}/exec") {
        @Override
        void run(Call call) {
            JsonNode answer = call.json(call.post("/v1/environments/" + call.ownEnvironment() + "/exec",
                    call.command(Map.of()), "application/json"), 200);
            call.expectOutput(answer == null ? null : answer.path("stdout").asText());
        }
    },
    FILE("PUT then GET .../files/{path}") {
        @Override
        void run(Call call) {
            String path = "/v1/environments/" + call.ownEnvironment() + "/files/load/" + call.nonce + ".txt";
            HttpResponse<String> put = call.send(call.server.request(call.tenant, path)
                    .PUT(HttpRequest.BodyPublishers.ofString(call.nonce)).build());
            if (call.expect(put, 204)) {
                HttpResponse<String> get = call.send(call.server.request(call.tenant, path).GET().build());
                if (call.expect(get, 200) && !get.body().equals(call.nonce)) {
                    call.crossed("read back '" + get.body() + "'");
                }
            }
        }
    },
    CREATE_DELETE("POST /v1/environments, exec, DELETE") {
        @Override
        void run(Call call) {
            Map<String, Object> requirement = Map.of("ttl", "10m", "labels", Map.of("nonce", call.nonce));
            JsonNode created = call.json(call.post("/v1/environments", requirement, "application/json"), 201);
            if (created == null) {
                return;
            }
            String id = created.path("id").asText();
            if (!call.nonce.equals(created.path("labels").path("nonce").asText())) {
                call.crossed("created with labels " + created.path("labels"));
            }
            JsonNode answer = call.json(call.post("/v1/environments/" + id + "/exec", call.command(Map.of()),
                    "application/json"), 200);
            call.expectOutput(answer == null ? null : answer.path("stdout").asText());
            call.expect(call.send(call.server.request(call.tenant, "/v1/environments/" + id).DELETE().build()), 204);
        }
    },
    FOREIGN("GET another tenant's environment") {
        @Override
        void run(Call call) {
            call.expect(call.send(call.server.request(call.tenant, "/v1/environments/" + call.foreignEnvironment())
                    .GET().build()), 404);
        }
    };

    private final String description;

    LoadOperation(String description) {
        this.description = description;
    }

    String description() {
        return description;
    }

    abstract void run(Call call);

    Outcome run(BenchServer server, Shared shared, String tenant, String nonce) {
        Call call = new Call(this, server, shared, tenant, nonce);
        run(call);
        return new Outcome(call.statuses, call.crossed, Optional.ofNullable(call.problem));
    }

    /** The HTTP statuses an operation got, whether its output was another's, and what went wrong first. */
    record Outcome(List<Integer> statuses, boolean crossed, Optional<String> problem) {
        static Outcome failed(int status, String problem) {
            return new Outcome(List.of(status), false, Optional.of(problem));
        }
    }

    /** The environments each tenant keeps for the whole load (execs and files go to them). */
    record Shared(Map<String, List<String>> byTenant) {
        static Shared create(BenchServer server, List<String> tenants, int each) {
            Map<String, List<String>> byTenant = new LinkedHashMap<>();
            for (String tenant : tenants) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    HttpResponse<String> created = server.send(server.request(tenant, "/v1/environments")
                            .POST(BenchServer.json(Map.of("ttl", "2h"))).build(), HttpResponse.BodyHandlers.ofString());
                    if (created.statusCode() != 201) {
                        throw new IllegalStateException("creating a shared environment answered " + created.statusCode()
                                + ": " + created.body());
                    }
                    ids.add(BenchServer.parse(created.body()).path("id").asText());
                }
                byTenant.put(tenant, ids);
            }
            return new Shared(byTenant);
        }

        void delete(BenchServer server) {
            byTenant.forEach((tenant, ids) -> ids.forEach(id -> server.send(server.request(tenant, "/v1/environments/" + id)
                    .DELETE().build(), HttpResponse.BodyHandlers.discarding())));
        }
    }

    /** One operation in progress: what it sent and got. */
    static final class Call {
        final LoadOperation operation;
        final BenchServer server;
        final Shared shared;
        final String tenant;
        final String nonce;
        final List<Integer> statuses = new ArrayList<>();
        boolean crossed;
        String problem;

        Call(LoadOperation operation, BenchServer server, Shared shared, String tenant, String nonce) {
            this.operation = operation;
            this.server = server;
            this.shared = shared;
            this.tenant = tenant;
            this.nonce = nonce;
        }

        /** Prints the nonce given in its environment, then the one read from standard input. */
        Map<String, Object> command(Map<String, Object> more) {
            Map<String, Object> body = new LinkedHashMap<>(more);
            body.put("argv", List.of("sh", "-c", "printf %s \"$NONCE\"; cat"));
            body.put("env", Map.of("NONCE", nonce + "/env"));
            body.put("stdin", nonce + "/stdin");
            return body;
        }

        String ownEnvironment() {
            List<String> ids = shared.byTenant().get(tenant);
            return ids.get(Math.floorMod(nonce.hashCode(), ids.size()));
        }

        String foreignEnvironment() {
            List<String> tenants = new ArrayList<>(shared.byTenant().keySet());
            String other = tenants.get((tenants.indexOf(tenant) + 1) % tenants.size());
            return shared.byTenant().get(other).get(0);
        }

        HttpResponse<String> post(String path, Object body, String accept) {
            return send(server.request(tenant, path).header("Accept", accept).header("Content-Type", "application/json")
                    .POST(BenchServer.json(body)).build());
        }

        HttpResponse<String> send(HttpRequest request) {
            HttpResponse<String> response = server.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            statuses.add(response.statusCode());
            return response;
        }

        /** Whether the answer has the status expected; a problem otherwise. */
        boolean expect(HttpResponse<String> response, int status) {
            if (response.statusCode() == status) {
                return true;
            }
            fail(response.request().method() + " " + response.request().uri().getPath() + " answered "
                    + response.statusCode() + ": " + response.body());
            return false;
        }

        /** The answer's JSON when it has the status expected, null (and a problem) otherwise. */
        JsonNode json(HttpResponse<String> response, int status) {
            return expect(response, status) ? BenchServer.parse(response.body()) : null;
        }

        void expectOutput(String stdout) {
            String expected = nonce + "/env" + nonce + "/stdin";
            if (stdout != null && !stdout.equals(expected)) {
                crossed("printed '" + stdout + "', expected '" + expected + "'");
            }
        }

        void crossed(String what) {
            crossed = true;
            fail("crossed output: " + what);
        }

        void fail(String what) {
            if (problem == null) {
                problem = operation + " " + tenant + " " + nonce + ": " + what;
            }
        }
    }
}
