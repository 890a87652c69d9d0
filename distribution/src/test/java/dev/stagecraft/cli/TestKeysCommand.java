package dev.stagecraft.cli;

import dev.stagecraft.cli.InProcess.Outcome;
import dev.stagecraft.server.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keys create|ls|revoke}: the key shown once, only its hash kept, in a file only its owner reads. */
class TestKeysCommand {
    @TempDir
    Path state;

    @Test
    void createPrintsTheKeyOnceAndStoresOnlyItsHash() throws Exception {
        InProcess cli = new InProcess(state);
        Outcome created = cli.run("keys", "create", "--tenant", "acme");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String key = created.out().trim();
        assertThat(key).matches("sc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}");
        String id = key.substring(3, 15);
        assertThat(created.err()).contains("key " + id + " for tenant acme: store it now, it is not shown again");

        Path file = state.resolve("server/keys.json");
        String stored = Files.readString(file);
        assertThat(stored).contains(id, "acme").doesNotContain(key.substring(16));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(new ApiKeys(state, Clock.systemUTC()).authenticate(key).orElseThrow().tenant()).isEqualTo("acme");

        Outcome listed = cli.run("keys", "ls");
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.out()).startsWith("ID ").contains(id + " ", "acme").doesNotContain(key.substring(16));
        Outcome json = cli.run("keys", "ls", "--json");
        assertThat(json.json().get(0).get("id").asText()).isEqualTo(id);
        assertThat(json.json().get(0).has("key")).isFalse();
        assertThat(json.json().get(0).has("sha256")).isFalse();
    }

    @Test
    void anOperatorKeyIsMarkedAndAFileFromBeforeOperatorsStillReads() throws Exception {
        InProcess cli = new InProcess(state);
        String tenant = cli.run("keys", "create", "--tenant", "acme").out().trim();
        Outcome created = cli.run("keys", "create", "--tenant", "ops", "--operator");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String operator = created.out().trim();
        String id = operator.substring(3, 15);
        assertThat(created.err()).contains("operator key " + id + " for tenant ops: store it now");
        ApiKeys keys = new ApiKeys(state, Clock.systemUTC());
        assertThat(keys.authenticate(operator).orElseThrow().operator()).isTrue();
        assertThat(keys.authenticate(tenant).orElseThrow().operator()).isFalse();

        assertThat(cli.run("keys", "ls").out()).contains("OPERATOR").containsPattern(id + " +ops +yes ")
                .containsPattern(tenant.substring(3, 15) + " +acme +no ");
        Outcome json = cli.run("keys", "ls", "--json");
        assertThat(json.json().findValuesAsText("operator")).containsExactly("false", "true");

        // keys.json as written before operator keys existed: no "operator" field, so no operator
        Path file = state.resolve("server/keys.json");
        Files.writeString(file, Files.readString(file).replaceAll(",\\s*\"operator\"\\s*:\\s*(true|false)", ""));
        assertThat(Files.readString(file)).doesNotContain("operator");
        ApiKeys old = new ApiKeys(state, Clock.systemUTC());
        assertThat(old.authenticate(tenant).orElseThrow().tenant()).isEqualTo("acme");
        assertThat(old.authenticate(operator).orElseThrow().operator()).isFalse();
    }

    @Test
    void revokeRemovesTheKeyAndAnUnknownIdIsNotFound() {
        InProcess cli = new InProcess(state);
        String key = cli.run("keys", "create", "--tenant", "acme").out().trim();
        String kept = cli.run("keys", "create", "--tenant", "other").out().trim();
        String id = key.substring(3, 15);
        Outcome revoked = cli.run("keys", "revoke", id);
        assertThat(revoked.exitCode()).as(revoked.err()).isZero();
        assertThat(revoked.out().trim()).isEqualTo("revoked " + id);
        ApiKeys keys = new ApiKeys(state, Clock.systemUTC());
        assertThat(keys.authenticate(key)).isEmpty();
        assertThat(keys.authenticate(kept)).isPresent();
        assertThat(cli.run("keys", "ls").out()).doesNotContain(id);

        Outcome missing = cli.run("keys", "revoke", id);
        assertThat(missing.exitCode()).isEqualTo(3);
        assertThat(missing.err().trim()).isEqualTo("stagecraft: NOT_FOUND: no key with id '" + id + "'");
    }

    @Test
    void aBadTenantOrListenAddressIsOneLine() {
        InProcess cli = new InProcess(state);
        Outcome bad = cli.run("keys", "create", "--tenant", "Not Valid");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err().trim()).isEqualTo("stagecraft: INVALID_REQUIREMENT: tenant 'Not Valid' must be 1-63 "
                + "lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
        Outcome listen = cli.run("serve", "--listen", "nowhere");
        assertThat(listen.exitCode()).isEqualTo(2);
        assertThat(listen.err().trim()).isEqualTo("stagecraft: INVALID_REQUIREMENT: --listen: 'nowhere' is not HOST:PORT (e.g. 127.0.0.1:8700)");
    }
}
