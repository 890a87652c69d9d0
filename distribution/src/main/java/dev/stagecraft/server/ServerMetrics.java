package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.core.manager.EnvironmentManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The server's meters in one Prometheus registry, and {@code GET /metrics} that exposes them: HTTP requests by route
 * template, method and status, failures by {@link ErrorCode}, the manager's {@link EnvironmentMetrics} and a few JVM
 * figures. The text format is Prometheus' 0.0.4 unless the scraper's {@code Accept} asks for OpenMetrics.
 */
final class ServerMetrics {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    /** Methods counted by name; any other is counted as {@code other}, so a client cannot grow the label's values. */
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EnvironmentMetrics environments;

    ServerMetrics(EnvironmentManager manager) {
        environments = new EnvironmentMetrics(registry, manager);
        manager.addListener(environments);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** One answered request; {@code route} is the template, never the path. */
    void request(String method, String route, int status) {
        Counter.builder("stagecraft.http.requests").description("HTTP requests answered, by route template, method and status")
                .tags("route", route, "method", METHODS.contains(method) ? method : "other", "status", String.valueOf(status))
                .register(registry).increment();
    }

    /** One failure answered with {@code {"error":{"code":...}}}. */
    void error(ErrorCode code) {
        Counter.builder("stagecraft.errors").description("Requests that failed, by the stable error code they were answered with")
                .tag("code", code.name()).register(registry).increment();
    }

    /** {@code GET /metrics}: open like {@code /healthz}; no label names a tenant, a key or an environment. */
    Route route() {
        return Route.open("GET", "/metrics", this::scrape);
    }

    private Response scrape(Call call) {
        environments.refresh();
        List<String> accept = call.headers().getOrDefault("Accept", List.of());
        String contentType = accept.stream().anyMatch(value -> value.contains("application/openmetrics-text"))
                ? OPEN_METRICS : PROMETHEUS_TEXT;
        return Response.bytes(registry.scrape(contentType).getBytes(StandardCharsets.UTF_8))
                .withHeader("Content-Type", contentType);
    }
}
