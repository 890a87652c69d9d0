package dev.stagecraft.server;

import dev.stagecraft.server.ServerFixture.Answer;
import dev.stagecraft.tck.Deadline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /metrics} through real HTTP on loopback over the real sandbox: what each kind of call leaves in it. */
class TestServerMetrics {
    private static final String EXEC_COUNT = "stagecraft_exec_seconds_count";
    private static final String CREATE_COUNT = "stagecraft_environment_create_seconds_count";
    private static final String REQUESTS = "stagecraft_http_requests_total";

    @TempDir
    Path state;

    private static Exposition scrape(ServerFixture fixture) {
        Answer answer = fixture.send("GET", "/metrics", null, null);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).contains(ServerMetrics.PROMETHEUS_TEXT);
        return new Exposition(answer.text());
    }

    /** Sends one request that must succeed with {@code status}; its answer. */
    private static Answer ok(ServerFixture fixture, int status, String method, String path, String key, String body) {
        Answer answer = fixture.send(method, path, key, body);
        assertThat(answer.status()).as(method + " " + path + ": " + answer.text()).isEqualTo(status);
        return answer;
    }

    @Test
    void runsEnvironmentsFailuresAndSelectionsAreCountedWithoutIdsInLabels() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            countsWhatEachCallDid(fixture, fixture.key("acme"));
        }
    }

    private static void countsWhatEachCallDid(ServerFixture fixture, String key) {
        ok(fixture, 200, "POST", "/v1/run", key, "{\"argv\":[\"echo\",\"hi\"]}");
        String gone = ok(fixture, 201, "POST", "/v1/environments", key, "{}").json().get("id").asText();
        ok(fixture, 204, "DELETE", "/v1/environments/" + gone, key, null);
        String kept = ok(fixture, 201, "POST", "/v1/environments", key, "{}").json().get("id").asText();
        ok(fixture, 404, "GET", "/v1/environments/sc-nosuchthing", key, null);
        ok(fixture, 400, "POST", "/v1/environments", key, "{not json");
        ok(fixture, 200, "POST", "/v1/select", key, "{\"provider\":\"no-such-kind\"}");

        Exposition metrics = scrape(fixture);
        Map<String, String> sandbox = Map.of("kind", "sandbox");
        assertThat(metrics.value(EXEC_COUNT, sandbox)).isEqualTo(1);
        assertThat(metrics.value("stagecraft_exec_seconds_bucket", Map.of("kind", "sandbox", "le", "+Inf"))).isEqualTo(1);
        assertThat(metrics.all("stagecraft_exec_seconds_bucket")).as("the histogram's buckets").hasSizeGreaterThan(10);
        assertThat(metrics.value(CREATE_COUNT, sandbox)).as("the run's and two creates").isEqualTo(3);
        assertThat(metrics.value("stagecraft_selections_total", Map.of("outcome", "selected", "kind", "sandbox"))).isEqualTo(3);
        assertThat(metrics.value("stagecraft_selections_total", Map.of("outcome", "none", "kind", ""))).isEqualTo(1);
        assertThat(metrics.value("stagecraft_environments", Map.of("kind", "sandbox", "status", "READY")))
                .as("the kept environment; the run's and the deleted one are gone").isEqualTo(1);
        assertThat(metrics.value("stagecraft_errors_total", Map.of("code", "NOT_FOUND"))).isEqualTo(1);
        assertThat(metrics.value("stagecraft_errors_total", Map.of("code", "INVALID_REQUIREMENT"))).isEqualTo(1);
        assertThat(metrics.value(REQUESTS, Map.of("route", "/v1/environments/{id}", "method", "GET", "status", "404"))).isEqualTo(1);
        assertThat(metrics.value(REQUESTS, Map.of("route", "/v1/environments/{id}", "method", "DELETE", "status", "204"))).isEqualTo(1);
        assertThat(metrics.value(REQUESTS, Map.of("route", "/v1/environments", "method", "POST", "status", "201"))).isEqualTo(2);
        assertThat(metrics.value(REQUESTS, Map.of("route", "/v1/environments", "method", "POST", "status", "400"))).isEqualTo(1);
        assertThat(metrics.value(REQUESTS, Map.of("route", "/v1/run", "method", "POST", "status", "200"))).isEqualTo(1);
        assertThat(metrics.all("jvm_threads_live_threads")).as("a JVM figure").hasSize(1);
        assertThat(metrics.samples()).flatExtracting(sample -> sample.labels().values())
                .as("no id, path or tenant in a label").doesNotContain(gone, kept, "sc-nosuchthing", "acme")
                .noneMatch(value -> value.startsWith("sc-"));

        ok(fixture, 204, "DELETE", "/v1/environments/" + kept, key, null);
        assertThat(scrape(fixture).value("stagecraft_environments", Map.of("kind", "sandbox", "status", "READY")))
                .as("a kind and status seen before reads 0 once none is left").isEqualTo(0);
    }

    @Test
    void anEnvironmentPastItsTtlIsCountedAsReapedWithTheReason() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            ok(fixture, 201, "POST", "/v1/environments", fixture.key("acme"), "{\"ttl\":\"1s\"}");
            Deadline.await(Duration.ofSeconds(30), "the environment reaped", () -> {
                fixture.stagecraft.manager().reap();
                return fixture.stagecraft.manager().list(Optional.empty(), Map.of()).isEmpty();
            });
            assertThat(scrape(fixture).value("stagecraft_reaped_total", Map.of("kind", "sandbox", "reason", "ttl"))).isEqualTo(1);
        }
    }

    @Test
    void aRunServedFromAWarmPoolIsAHitAndThePoolsReadySizeIsShown() throws Exception {
        Path config = state.resolve("stagecraft.yaml");
        Files.writeString(config, "pools:\n  shell:\n    size: 1\n    tool-type: shell\n");
        try (ServerFixture fixture = new ServerFixture(state, Map.of(), config)) {
            Deadline.await(Duration.ofSeconds(30), "pool shell ready",
                    () -> fixture.stagecraft.manager().warmPools().getOrDefault("shell", 0) == 1);
            assertThat(scrape(fixture).value("stagecraft_pool_ready", Map.of("pool", "shell"))).isEqualTo(1);

            ok(fixture, 200, "POST", "/v1/run", fixture.key("acme"),
                    "{\"argv\":[\"echo\",\"hi\"],\"requirement\":{\"toolType\":\"shell\"}}");
            assertThat(scrape(fixture).value("stagecraft_pool_acquires_total", Map.of("pool", "shell", "result", "hit")))
                    .isEqualTo(1);
        }
    }

    @Test
    void openMetricsWhenTheScraperAsksAndNoKeyIsNeeded() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            ok(fixture, 200, "GET", "/healthz", null, null);
            Answer answer = fixture.sendBytes("GET", "/metrics", null, null,
                    Map.of("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.header("Content-Type")).contains(ServerMetrics.OPEN_METRICS);
            assertThat(answer.text()).contains("# TYPE stagecraft_http_requests counter").endsWith("# EOF\n");
        }
    }

    @Test
    void everyLineOfTheExpositionFollowsTheTextFormat() throws Exception {
        try (ServerFixture fixture = new ServerFixture(state, Map.of())) {
            ok(fixture, 200, "POST", "/v1/run", fixture.key("acme"), "{\"argv\":[\"true\"]}");
            Answer answer = ok(fixture, 200, "GET", "/metrics", null, null);
            Exposition metrics = new Exposition(answer.text());
            assertThat(metrics.samples()).as(answer.text()).isNotEmpty().extracting(Exposition.Sample::name)
                    .as("the JVM figures docs/server.md names").contains("jvm_memory_used_bytes", "jvm_memory_committed_bytes",
                            "jvm_memory_max_bytes", "jvm_threads_live_threads", "jvm_threads_peak_threads",
                            "jvm_threads_states_threads", "process_cpu_usage", "system_cpu_usage", "process_uptime_seconds");
            assertThat(answer.text().lines().filter(line -> line.startsWith("# TYPE ")))
                    .allMatch(line -> line.matches("# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)"));
        }
    }
}
