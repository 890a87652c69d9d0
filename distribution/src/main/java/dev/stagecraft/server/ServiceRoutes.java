package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.cli.Json;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.PoolSpec;
import dev.stagecraft.core.selection.Selection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Selection, providers, pools and the probes an orchestrator asks ({@code /healthz}, {@code /readyz}). */
final class ServiceRoutes {
    private final Stagecraft stagecraft;
    private final Tenants tenants;
    private final RequestBodies bodies;
    private final ServerSettings settings;

    ServiceRoutes(Stagecraft stagecraft, Tenants tenants, RequestBodies bodies, ServerSettings settings) {
        this.stagecraft = stagecraft;
        this.tenants = tenants;
        this.bodies = bodies;
        this.settings = settings;
    }

    List<Route> routes() {
        return List.of(
                Route.of("POST", "/v1/select", this::select),
                Route.of("GET", "/v1/providers", call -> Response.ok(stagecraft.providers().stream().map(Json::provider).toList())),
                Route.of("GET", "/v1/pools", call -> Response.ok(pools(stagecraft))),
                Route.open("GET", "/healthz", call -> Response.ok(Map.of("status", "ok"))),
                Route.open("GET", "/readyz", call -> ready()));
    }

    /** The same document as {@code select --json --explain}, plus its text; 200 even when nothing fits (it says why). */
    private Response select(Call call) throws java.io.IOException {
        Selection selection = tenants.select(call.tenant(), "select",
                bodies.requirement(call.jsonBody(settings.maxRequestBytes()), "request body"));
        Map<String, Object> document = Json.selection(selection);
        document.put("explanation", selection.explain());
        return Response.ok(document);
    }

    /** Each configured warm pool: {@code name}, {@code size} and how many wait {@code ready} now. */
    static List<Map<String, Object>> pools(Stagecraft stagecraft) {
        Map<String, Integer> ready = stagecraft.manager().warmPools();
        return stagecraft.config().pools().stream().map((PoolSpec pool) -> {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("name", pool.name());
            map.put("size", pool.size());
            map.put("ready", ready.getOrDefault(pool.name(), 0));
            return map;
        }).toList();
    }

    /** Ready when some provider can make environments now. */
    private Response ready() {
        List<String> available = stagecraft.providers().stream().filter(report -> report.health().available())
                .map(ProviderReport::kind).toList();
        if (available.isEmpty()) {
            throw new ApiException(503, ErrorCode.NO_PROVIDER, "no provider is available: run stagecraft doctor");
        }
        return Response.ok(Map.of("status", "ready", "providers", available));
    }
}
