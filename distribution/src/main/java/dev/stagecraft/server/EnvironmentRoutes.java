package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.cli.Json;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.Lease;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code /v1/environments...} and {@code /v1/run}: every call sees only the caller's tenant's environments. */
final class EnvironmentRoutes {
    private final EnvironmentManager manager;
    private final Tenants tenants;
    private final RequestBodies bodies;
    private final ServerSettings settings;

    EnvironmentRoutes(EnvironmentManager manager, Tenants tenants, RequestBodies bodies, ServerSettings settings) {
        this.manager = manager;
        this.tenants = tenants;
        this.bodies = bodies;
        this.settings = settings;
    }

    List<Route> routes() {
        return List.of(
                Route.of("POST", "/v1/environments", this::create),
                Route.of("GET", "/v1/environments", this::list),
                Route.of("GET", "/v1/environments/{id}", this::get),
                Route.of("DELETE", "/v1/environments/{id}", this::delete),
                Route.of("POST", "/v1/environments/{id}/stop", this::stop),
                Route.of("POST", "/v1/environments/{id}/start", this::start),
                Route.of("POST", "/v1/environments/{id}/exec", this::exec),
                Route.of("PUT", "/v1/environments/{id}/files/{path...}", this::putFile),
                Route.of("GET", "/v1/environments/{id}/files/{path...}", this::getFile),
                Route.of("POST", "/v1/run", this::run));
    }

    private Response create(Call call) throws java.io.IOException {
        EnvironmentRequirement requirement = bodies.requirement(call.jsonBody(settings.maxRequestBytes()), "request body");
        call.audit().level(requirement.securityLevel());
        EnvironmentInfo info = tenants.create(call.tenant(), requirement);
        call.audit().environment(info.id(), info.kind());
        return Response.json(201, Json.environment(info)).withHeader("Location", "/v1/environments/" + info.id());
    }

    private Response list(Call call) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String label : call.query("label")) {
            int equals = label.indexOf('=');
            if (equals <= 0) {
                throw ApiException.badRequest("label: '" + label + "' is not KEY=VALUE");
            }
            labels.put(label.substring(0, equals), label.substring(equals + 1));
        }
        Optional<String> kind = call.query("kind").stream().findFirst();
        return Response.ok(tenants.list(call.tenant(), kind, labels).stream().map(Json::environment).toList());
    }

    private Response get(Call call) {
        String id = owned(call).id();
        try {
            manager.usage(id);
        } catch (RuntimeException e) {
            // usage is best effort: a stopped environment has none, and status still answers
        }
        return Response.ok(Json.environment(manager.status(id)));
    }

    private Response delete(Call call) {
        if (!manager.destroy(audited(call).id())) {
            throw StagecraftException.notFound(call.parameter(0));
        }
        return Response.noContent();
    }

    private Response stop(Call call) {
        String id = audited(call).id();
        manager.stop(id);
        return Response.ok(Json.environment(manager.status(id)));
    }

    private Response start(Call call) {
        String id = audited(call).id();
        manager.start(id);
        return Response.ok(Json.environment(manager.status(id)));
    }

    /** Unlike {@code env exec}, a stopped environment is not started behind the caller's back: it has a start route. */
    private Response exec(Call call) throws java.io.IOException {
        EnvironmentInfo info = audited(call);
        ExecRequest request = bodies.exec(call.jsonBody(settings.maxRequestBytes()), "request body", Set.of());
        AuditRecord audit = call.audit().argv(request.argv());
        if (info.status() == EnvironmentStatus.STOPPED) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + info.id()
                    + "' is STOPPED: POST /v1/environments/" + info.id() + "/start first");
        }
        if (NdjsonOutput.wanted(call)) {
            return Response.streamed(NdjsonOutput.CONTENT_TYPE, out -> NdjsonOutput.run(out, call.json(), info.kind(),
                    info.id(), listener -> audit.command(() -> manager.execute(info.id(), request, listener))));
        }
        ExecResult result = audit.command(() -> manager.execute(info.id(), request));
        return Response.ok(Json.run(info.kind(), info.id(), result));
    }

    /** Select, create, run, destroy: the command line's {@code run} in one request. */
    private Response run(Call call) throws java.io.IOException {
        JsonNode body = call.jsonBody(settings.maxRequestBytes());
        ExecRequest request = bodies.exec(body, "request body", Set.of("requirement"));
        EnvironmentRequirement requirement = bodies.requirement(
                body.has("requirement") ? body.get("requirement")
                        : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), "request body: requirement");
        AuditRecord audit = call.audit().level(requirement.securityLevel()).argv(request.argv());
        if (NdjsonOutput.wanted(call)) {
            Tenants.TenantLease held = tenants.lease(call.tenant(), requirement);
            Lease lease = held.lease();
            audit.environment(lease.id(), lease.kind());
            return Response.streamed(NdjsonOutput.CONTENT_TYPE, new Response.Streamed() {
                @Override
                public void write(java.io.OutputStream out) {
                    // destroyed before the result line, as the buffered run answers only once it is gone
                    NdjsonOutput.run(out, call.json(), lease.kind(), lease.id(), listener -> {
                        try {
                            return audit.command(() -> lease.execute(request, listener));
                        } finally {
                            held.close();
                        }
                    });
                }

                @Override
                public void close() {
                    held.close();
                }
            });
        }
        try (Tenants.TenantLease held = tenants.lease(call.tenant(), requirement)) {
            Lease lease = held.lease();
            audit.environment(lease.id(), lease.kind());
            return Response.ok(Json.run(lease.kind(), lease.id(), audit.command(() -> lease.execute(request))));
        }
    }

    private Response putFile(Call call) throws java.io.IOException {
        String id = audited(call).id();
        call.audit().path(call.parameter(1));
        byte[] content = call.body(settings.maxFileBytes(), "the file");
        manager.putFile(id, call.parameter(1), content);
        return Response.noContent();
    }

    private Response getFile(Call call) {
        String id = audited(call).id();
        call.audit().path(call.parameter(1));
        byte[] content = manager.getFile(id, call.parameter(1), settings.maxFileBytes() + 1);
        if (content.length > settings.maxFileBytes()) {
            throw ApiException.tooLarge(call.parameter(1), settings.maxFileBytes());
        }
        return Response.bytes(content);
    }

    private EnvironmentInfo owned(Call call) {
        return tenants.owned(call.tenant(), call.parameter(0));
    }

    /** The caller's environment, noted in the request's audit record (written when it is at the critical level). */
    private EnvironmentInfo audited(Call call) {
        EnvironmentInfo info = owned(call);
        call.audit().environment(info);
        return info;
    }
}
