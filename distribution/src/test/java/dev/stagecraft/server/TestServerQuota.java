package dev.stagecraft.server;

import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-tenant environment quotas and per-key rate limits answer 429 with Retry-After. */
class TestServerQuota {
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
}
