package dev.stagecraft.server;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.Labels;
import dev.stagecraft.cli.Json;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentManager;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an operator reads about the whole server, every tenant at once, so only an operator key opens it: {@code GET /},
 * the status page ({@link StatusPage}), and {@code GET /v1/status}, the same as JSON. Reading it samples the usage of
 * each live environment (within {@link #SAMPLING}; past it, the last sample is shown) and does not count as using one,
 * so the idle reaper is not held off by a page left open.
 */
final class StatusRoutes {
    static final Duration SAMPLING = Duration.ofSeconds(2);
    /** The label a warm pool's environments carry (the core's own, not a tenant's). */
    static final String POOL_LABEL = Labels.PREFIX + "pool";

    /** One reading of everything the page shows. */
    record Snapshot(Instant at, String version, List<ProviderReport> providers, List<Map<String, Object>> pools,
                    List<EnvironmentInfo> environments, List<RecentSelections.Entry> selections) {
    }

    private final Stagecraft stagecraft;
    private final RecentSelections selections;
    private final Clock clock;

    StatusRoutes(Stagecraft stagecraft, RecentSelections selections, Clock clock) {
        this.stagecraft = stagecraft;
        this.selections = selections;
        this.clock = clock;
    }

    List<Route> routes() {
        return List.of(
                Route.operator("GET", "/", call -> page(StatusPage.render(snapshot()))),
                Route.operator("GET", "/v1/status", call -> Response.ok(json(snapshot())).withHeader("Cache-Control", "no-store")));
    }

    /** The page, never cached, and with a policy that lets it load nothing but its own inline style. */
    private static Response page(String html) {
        return Response.bytes(html.getBytes(StandardCharsets.UTF_8))
                .withHeader("Content-Type", "text/html; charset=utf-8")
                .withHeader("Cache-Control", "no-store")
                .withHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
                .withHeader("X-Content-Type-Options", "nosniff");
    }

    Snapshot snapshot() {
        return new Snapshot(clock.instant(), Stagecraft.version(), stagecraft.providers(), ServiceRoutes.pools(stagecraft),
                sampledEnvironments(), selections.newestFirst());
    }

    private List<EnvironmentInfo> sampledEnvironments() {
        EnvironmentManager manager = stagecraft.manager();
        long deadline = System.nanoTime() + SAMPLING.toNanos();
        for (EnvironmentInfo info : manager.list(Optional.empty(), Map.of())) {
            if (System.nanoTime() > deadline) {
                break;
            }
            if (info.status() == EnvironmentStatus.READY || info.status() == EnvironmentStatus.RUNNING) {
                try {
                    manager.usage(info.id());
                } catch (RuntimeException e) {
                    // best effort, as for GET /v1/environments/{id}: the last sample, if any, is shown
                }
            }
        }
        return manager.list(Optional.empty(), Map.of());
    }

    static Optional<String> tenant(EnvironmentInfo info) {
        return info.labels().get(Tenants.LABEL);
    }

    static Optional<String> pool(EnvironmentInfo info) {
        return info.labels().get(POOL_LABEL);
    }

    private static Map<String, Object> json(Snapshot snapshot) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("generatedAt", snapshot.at().toString());
        document.put("version", snapshot.version());
        document.put("providers", snapshot.providers().stream().map(Json::provider).toList());
        document.put("pools", snapshot.pools());
        document.put("environments", snapshot.environments().stream().map(info -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("tenant", tenant(info).orElse(null));
            entry.put("pool", pool(info).orElse(null));
            entry.put("environment", Json.environment(info));
            return entry;
        }).toList());
        document.put("selections", snapshot.selections().stream().map(selection -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("at", selection.at().toString());
            entry.put("tenant", selection.tenant());
            entry.put("purpose", selection.purpose());
            entry.put("requirement", selection.requirement());
            entry.put("chosen", selection.chosen().orElse(null));
            entry.put("explanation", selection.explanation());
            return entry;
        }).toList());
        return document;
    }
}
