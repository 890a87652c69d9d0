package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What reconcile finds, as the command line shows it. Every {@code env} command reconciles first, which reaps what
 * is past its TTL, so an expired environment is seen where its reap fails: the test provider refuses to destroy.
 */
class TestCliReconcile {
    private static final String DISCOVER_PROBLEM = "failing: discover failed: failing: discover refused, as configured";

    @TempDir
    Path state;

    @Test
    void anEnvironmentPastItsTtlThatCouldNotBeRemovedIsShownExpiredWithItsLastUse() {
        InProcess refusing = new InProcess(state).with(FailingProvider.FAIL_AT, "destroy");
        Outcome created = refusing.run("env", "create", "--provider", "failing", "--ttl", "1ms", "--label", "case=expired");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();

        Outcome listed = refusing.run("env", "ls", "--label", "case=expired");
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.out().lines().toList()).hasSize(2);
        assertThat(listed.out().lines().findFirst().orElseThrow()).contains(" STATUS ").contains(" LAST USE ");
        assertThat(listed.out().lines().skip(1).findFirst().orElseThrow())
                .startsWith(id).contains(" EXPIRED ").doesNotContain("READY").matches(".* \\d+s ago .*");

        JsonNode never = refusing.run("env", "ls", "--json", "--label", "case=expired").json().get(0);
        assertThat(never.get("status").asText()).isEqualTo("EXPIRED");
        assertThat(never.get("expired").asBoolean()).isTrue();
        Instant createdAt = Instant.parse(never.get("createdAt").asText());
        assertThat(Instant.parse(never.get("expiresAt").asText())).isEqualTo(createdAt.plusMillis(1));
        assertThat(Instant.parse(never.get("lastUsedAt").asText())).as("never used: its creation").isEqualTo(createdAt);

        assertThat(refusing.run("env", "exec", id, "--", "true").exitCode()).as("the test provider runs nothing").isEqualTo(126);
        JsonNode used = refusing.run("env", "status", "--json", id).json();
        assertThat(used.get("status").asText()).isEqualTo("EXPIRED");
        assertThat(Instant.parse(used.get("lastUsedAt").asText())).isAfter(createdAt);
        Outcome status = refusing.run("env", "status", id);
        assertThat(status.out()).contains("status: EXPIRED").contains("expired: true").contains("lastUsedAt: " + used.get("lastUsedAt").asText());

        Outcome reaped = new InProcess(state).with(FailingProvider.FAIL_AT, "exec").run("env", "ls", "--json", "--label", "case=expired");
        assertThat(reaped.json()).as("the next reconcile that can remove it does").isEmpty();
    }

    @Test
    void aFreshEnvironmentIsNotExpired() {
        InProcess cli = new InProcess(state).with(FailingProvider.FAIL_AT, "exec");
        String id = cli.run("env", "create", "--provider", "failing", "--ttl", "1h", "--label", "case=fresh").out().trim();
        JsonNode info = cli.run("env", "status", "--json", id).json();
        assertThat(info.get("status").asText()).isEqualTo("READY");
        assertThat(info.get("expired").asBoolean()).isFalse();
        assertThat(Instant.parse(info.get("expiresAt").asText())).isEqualTo(Instant.parse(info.get("createdAt").asText()).plusSeconds(3600));
        assertThat(cli.run("env", "rm", id).exitCode()).isZero();
    }

    @Test
    void aBackendThatCannotListItsEnvironmentsIsAWarningAndADoctorFinding() {
        InProcess cli = new InProcess(state).with(FailingProvider.FAIL_AT, "discover");
        Outcome listed = cli.run("env", "ls");
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        assertThat(listed.err().lines().toList()).contains("stagecraft: warning: " + DISCOVER_PROBLEM);

        Outcome doctor = cli.run("doctor");
        assertThat(doctor.exitCode()).as(doctor.err()).isZero();
        assertThat(doctor.out().lines().map(String::trim).toList())
                .contains("reconcile: discover failed: failing: discover refused, as configured; asked again on next use");

        JsonNode providers = cli.run("doctor", "--json").json();
        for (JsonNode provider : providers) {
            JsonNode problem = provider.get("reconcileProblem");
            if (provider.get("kind").asText().equals("failing")) {
                assertThat(problem.asText()).isEqualTo("discover failed: failing: discover refused, as configured");
            } else {
                assertThat(problem.isNull()).as(provider.toString()).isTrue();
            }
        }
    }
}
