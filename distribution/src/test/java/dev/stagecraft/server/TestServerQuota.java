package dev.stagecraft.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-tenant quotas and per-key rate limits answer 429 with Retry-After, through real HTTP against the sandbox. For
 * CPUs, memory and GPUs a tenant is charged what each of its environments was made with (the requirement's amounts,
 * or the provider's defaults), recorded as labels.
 */
class TestServerQuota {
    private static final long MIB = 1L << 20;

    @TempDir
    Path state;

    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aTenantAtItsMostEnvironmentsGets429UntilItDeletesOne() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__MAX_ENVIRONMENTS", "3",
                "STAGECRAFT_SERVER__TENANTS__SMALL__MAX_ENVIRONMENTS", "1"));
        String small = fixture.key("small");
        String other = fixture.key("other");
        Answer first = fixture.send("POST", "/v1/environments", small, "{\"ttl\":\"10m\"}");
        assertThat(first.status()).as(first.text()).isEqualTo(201);

        Answer second = fixture.send("POST", "/v1/environments", small, "{}");
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.json().get("error").get("code").asText()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(second.json().get("error").get("message").asText())
                .isEqualTo("tenant 'small' holds 1 environments, its most is 1: delete one or wait until one expires");
        assertThat(Long.parseLong(second.header("Retry-After").orElseThrow())).isBetween(500L, 600L);
        assertThat(fixture.send("POST", "/v1/run", small, "{\"argv\":[\"true\"]}").status()).isEqualTo(429);

        assertThat(fixture.send("POST", "/v1/environments", other, "{}").status()).as("the default quota is 3").isEqualTo(201);

        String id = first.json().get("id").asText();
        assertThat(fixture.send("DELETE", "/v1/environments/" + id, small, null).status()).isEqualTo(204);
        assertThat(fixture.send("POST", "/v1/environments", small, "{}").status()).isEqualTo(201);
    }

    @Test
    void aKeyOverItsRateGets429WithRetryAfterAndAnotherKeyDoesNot() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND", "0.01",
                "STAGECRAFT_SERVER__RATE_LIMIT__BURST", "2"));
        String fast = fixture.key("acme");
        String calm = fixture.key("acme");
        assertThat(fixture.send("GET", "/v1/environments", fast, null).status()).isEqualTo(200);
        assertThat(fixture.send("GET", "/v1/environments", fast, null).status()).isEqualTo(200);
        Answer limited = fixture.send("GET", "/v1/environments", fast, null);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.json().get("error").get("code").asText()).isEqualTo("RATE_LIMITED");
        assertThat(Long.parseLong(limited.header("Retry-After").orElseThrow())).isBetween(90L, 100L);
        assertThat(fixture.send("GET", "/v1/environments", calm, null).status()).isEqualTo(200);
        assertThat(fixture.send("GET", "/healthz", null, null).status()).as("probes are not rate limited").isEqualTo(200);
    }

    private Answer create(String key, String body) {
        return fixture.send("POST", "/v1/environments", key, body);
    }

    private static String message(Answer answer) {
        return answer.json().get("error").get("message").asText();
    }

    private static String code(Answer answer) {
        return answer.json().get("error").get("code").asText();
    }

    @Test
    void aMemoryQuotaRefusesTheSecondEnvironmentSaysWhyAndADeleteFreesIt() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__TENANTS__SMALL__MAX_MEMORY", "1g"));
        String small = fixture.key("small");
        String other = fixture.key("other");
        Answer first = create(small, "{\"ttl\":\"10m\"}");
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        String id = first.json().get("id").asText();
        assertThat(fixture.stagecraft.manager().status(id).labels().values()).as("no memory asked: the sandbox's default")
                .containsEntry(Quotas.MEMORY_BYTES, Long.toString(512 * MIB)).containsEntry(Quotas.CPUS, "1")
                .containsEntry(Quotas.GPUS, "0");

        Answer second = create(small, "{\"memory\":\"768m\"}");
        assertThat(second.status()).isEqualTo(429);
        assertThat(code(second)).isEqualTo("QUOTA_EXCEEDED");
        assertThat(message(second)).isEqualTo("tenant 'small': memory 512m of 1g in use, this request asks 768m: "
                + "delete an environment or wait until one expires");
        assertThat(Long.parseLong(second.header("Retry-After").orElseThrow())).isBetween(500L, 600L);
        Answer run = fixture.send("POST", "/v1/run", small, "{\"argv\":[\"true\"],\"requirement\":{\"memory\":\"768m\"}}");
        assertThat(run.status()).isEqualTo(429);
        assertThat(message(run)).isEqualTo(message(second));

        Answer never = create(small, "{\"memory\":\"2g\"}");
        assertThat(never.status()).isEqualTo(400);
        assertThat(code(never)).isEqualTo("INVALID_REQUIREMENT");
        assertThat(message(never)).isEqualTo("tenant 'small' may hold 1g memory in all; this request asks 2g, so it can "
                + "never fit: ask for less, or raise the tenant's max-memory");
        assertThat(create(other, "{\"memory\":\"2g\"}").status()).as("another tenant has no memory quota").isEqualTo(201);

        Answer fits = fixture.send("POST", "/v1/run", small, "{\"argv\":[\"true\"],\"requirement\":{\"memory\":\"512m\"}}");
        assertThat(fits.status()).as("512m more is exactly 1g: " + fits.text()).isEqualTo(200);
        Answer made = create(small, "{\"memory\":\"512m\"}");
        assertThat(made.status()).as("the run's share is free once it is over: " + made.text()).isEqualTo(201);
        assertThat(message(fixture.send("POST", "/v1/run", small, "{\"argv\":[\"true\"]}")))
                .startsWith("tenant 'small': memory 1g of 1g in use, this request asks 512m");

        assertThat(fixture.send("DELETE", "/v1/environments/" + id, small, null).status()).isEqualTo(204);
        assertThat(create(small, "{\"memory\":\"512m\"}").status()).isEqualTo(201);
    }

    @Test
    void whatAnEnvironmentWasMadeWithSurvivesARestartAsLabels() throws Exception {
        Map<String, String> quota = Map.of("STAGECRAFT_SERVER__TENANTS__SMALL__MAX_MEMORY", "1g");
        fixture = new ServerFixture(state, quota);
        String key = fixture.key("small");
        Answer made = create(key, "{\"memory\":\"768m\",\"cpus\":0.5,\"ttl\":\"10m\"}");
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        fixture.stopLeavingEnvironments();

        fixture = new ServerFixture(state, quota);
        Answer refused = create(key, "{\"memory\":\"512m\"}");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(message(refused)).startsWith("tenant 'small': memory 768m of 1g in use, this request asks 512m");
    }

    @Test
    void concurrentCreatesNeverPassTheQuotaTogether() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__TENANTS__BUSY__MAX_MEMORY", "2g"));
        String key = fixture.key("busy");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Answer>> answers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int i = 0; i < threads; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return create(key, "{\"memory\":\"512m\",\"ttl\":\"10m\"}");
                }));
            }
            go.countDown();
            int created = 0;
            for (Future<Answer> future : answers) {
                Answer answer = future.get(120, TimeUnit.SECONDS);
                assertThat(answer.status()).as(answer.text()).isIn(201, 429);
                created += answer.status() == 201 ? 1 : 0;
            }
            assertThat(created).as("2g holds four of 512m").isBetween(1, 4);
            assertThat(charged("busy")).isEqualTo(created * 512 * MIB);

            // what a burst refused while another request held its share is there to take now, and no more
            while (create(key, "{\"memory\":\"512m\",\"ttl\":\"10m\"}").status() == 201) {
                created++;
            }
            assertThat(created).isEqualTo(4);
            assertThat(charged("busy")).isEqualTo(2048 * MIB);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The memory the tenant's live environments were made with, as their labels say. */
    private long charged(String tenant) {
        long sum = 0;
        for (EnvironmentInfo info : fixture.stagecraft.manager().list(Optional.empty(), Map.of())) {
            if (info.labels().get(Tenants.LABEL).filter(tenant::equals).isPresent()) {
                sum += Long.parseLong(info.labels().get(Quotas.MEMORY_BYTES).orElseThrow());
            }
        }
        return sum;
    }

    @Test
    void aCpuQuotaCountsFractionsAndTheProvidersDefault() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__MAX_CPUS", "1.5"));
        String key = fixture.key("acme");
        assertThat(create(key, "{\"cpus\":0.5,\"ttl\":\"10m\"}").status()).isEqualTo(201);
        assertThat(create(key, "{\"ttl\":\"10m\"}").status()).as("the sandbox's default, 1 CPU").isEqualTo(201);
        Answer refused = create(key, "{\"cpus\":0.25}");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(message(refused)).isEqualTo("tenant 'acme': cpus 1.5 of 1.5 in use, this request asks 0.25: delete "
                + "an environment or wait until one expires");
        assertThat(refused.header("Retry-After")).isPresent();
        Answer never = create(key, "{\"cpus\":2}");
        assertThat(never.status()).isEqualTo(400);
        assertThat(message(never)).isEqualTo("tenant 'acme' may hold 1.5 cpus in all; this request asks 2, so it can "
                + "never fit: ask for less, or raise the tenant's max-cpus");
    }

    @Test
    void aGpuQuotaIsCheckedBeforeAProviderIsLookedFor() throws Exception {
        fixture = new ServerFixture(state, Map.of("STAGECRAFT_SERVER__TENANTS__ML__MAX_GPUS", "1"));
        String acme = fixture.key("acme");
        String ml = fixture.key("ml");
        Answer unlimited = create(acme, "{\"gpus\":1}");
        assertThat(unlimited.status()).as("no GPU quota: on to selection, and no kind here attaches GPUs").isEqualTo(503);
        assertThat(code(unlimited)).isEqualTo("NO_PROVIDER");
        Answer never = create(ml, "{\"gpus\":2}");
        assertThat(never.status()).isEqualTo(400);
        assertThat(message(never)).isEqualTo("tenant 'ml' may hold 1 gpus in all; this request asks 2, so it can never "
                + "fit: ask for less, or raise the tenant's max-gpus");
        assertThat(code(create(ml, "{\"gpus\":1}"))).as("within the quota: on to selection").isEqualTo("NO_PROVIDER");

        // An environment of a kind with GPUs, which this host has not: a sandbox carrying the labels such a kind's
        // environment gets. The tenant's use is read from those labels.
        fixture.stagecraft.manager().create(EnvironmentRequirement.builder().ttl(Duration.ofMinutes(10)).build(),
                Map.of(Tenants.LABEL, "ml", Quotas.GPUS, "1", Quotas.CPUS, "1", Quotas.MEMORY_BYTES, "0"));
        Answer refused = create(ml, "{\"gpus\":1}");
        assertThat(refused.status()).as("the quota is checked before a provider is looked for").isEqualTo(429);
        assertThat(message(refused)).isEqualTo("tenant 'ml': gpus 1 of 1 in use, this request asks 1: delete an "
                + "environment or wait until one expires");
        JsonNode run = fixture.send("POST", "/v1/run", ml, "{\"argv\":[\"true\"],\"requirement\":{\"gpus\":1}}").json();
        assertThat(run.get("error").get("code").asText()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(create(ml, "{}").status()).as("no GPU asked").isEqualTo(201);
    }
}
