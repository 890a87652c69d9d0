package dev.stagecraft.server;

import dev.stagecraft.server.ServerFixture.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Keys and tenants: no key, a wrong or revoked key, and another tenant's environment. */
class TestServerAuth {
    @TempDir
    Path state;

    private ServerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ServerFixture(state, Map.of());
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void noKeyWrongKeyAndRevokedKeyAre401WithTheErrorShape() {
        Answer none = fixture.send("GET", "/v1/environments", null, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("error").get("code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(none.json().get("error").get("message").asText()).isEqualTo("missing API key: send Authorization: Bearer <key>");

        String key = fixture.key("acme");
        String forged = key.substring(0, key.length() - 2) + (key.endsWith("AA") ? "BB" : "AA");
        Answer wrong = fixture.send("GET", "/v1/environments", forged, null);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().get("error").get("code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(fixture.send("GET", "/v1/environments", "not-a-key", null).status()).isEqualTo(401);

        assertThat(fixture.send("GET", "/v1/environments", key, null).status()).isEqualTo(200);
        String id = fixture.keys.authenticate(key).orElseThrow().id();
        assertThat(new ApiKeys(state, java.time.Clock.systemUTC()).revoke(id)).isTrue();
        Answer revoked = fixture.send("GET", "/v1/environments", key, null);
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.json().get("error").get("message").asText()).isEqualTo("unknown or revoked API key");
    }

    @Test
    void anotherTenantsEnvironmentAnswersExactlyAsAnUnknownId() {
        String a = fixture.key("tenant-a");
        String b = fixture.key("tenant-b");
        String id = fixture.send("POST", "/v1/environments", a, "{}").json().get("id").asText();
        String unknown = "sc-aaaaaaaaaa";

        for (String[] call : new String[][] {{"GET", ""}, {"POST", "/exec"}, {"POST", "/stop"}, {"POST", "/start"},
                {"GET", "/files/x"}, {"PUT", "/files/x"}, {"DELETE", ""}}) {
            String body = call[1].equals("/exec") ? "{\"argv\":[\"true\"]}" : call[1].startsWith("/files") ? "x" : null;
            Answer theirs = fixture.send(call[0], "/v1/environments/" + id + call[1], b, body);
            Answer nobodys = fixture.send(call[0], "/v1/environments/" + unknown + call[1], b, body);
            assertThat(theirs.status()).as(call[0] + call[1] + ": " + theirs.text()).isEqualTo(404);
            assertThat(nobodys.status()).isEqualTo(404);
            assertThat(theirs.text().replace(id, "ID")).isEqualTo(nobodys.text().replace(unknown, "ID"));
        }
        assertThat(fixture.send("GET", "/v1/environments", b, null).json()).isEmpty();
        assertThat(fixture.send("GET", "/v1/environments", a, null).json().findValuesAsText("id")).containsExactly(id);
        assertThat(fixture.send("GET", "/v1/environments/" + id, a, null).status()).isEqualTo(200);
    }

    @Test
    void theTenantLabelCannotBeSetByTheCallerAndIsNotShownAsAUserLabel() {
        String a = fixture.key("tenant-a");
        Answer created = fixture.send("POST", "/v1/environments", a, "{\"labels\":{\"dev.stagecraft.tenant\":\"tenant-b\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().get("id").asText();
        assertThat(fixture.stagecraft.manager().status(id).labels().get(Tenants.LABEL)).contains("tenant-a");
        assertThat(fixture.send("GET", "/v1/environments/" + id, fixture.key("tenant-b"), null).status()).isEqualTo(404);
    }
}
