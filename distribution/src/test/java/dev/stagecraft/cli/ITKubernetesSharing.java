package dev.stagecraft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.cli.Distribution.Outcome;
import dev.stagecraft.cli.Distribution.Started;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several Stagecraft processes sharing the test cluster, each with a state directory of its own (as on different
 * hosts): under different owners they never list, adopt or delete each other's environments; under the same owner a
 * process with no state of its own rebuilds the environments from the cluster's labels alone, runs commands in them,
 * and leaves one that another process holds for a command alone.
 */
class ITKubernetesSharing {
    private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
    private static final String OWNER_A = "it-share-a-" + SUFFIX;
    private static final String OWNER_B = "it-share-b-" + SUFFIX;
    private static final String OWNER_C = "it-share-c-" + SUFFIX;

    @TempDir
    static Path work;
    static Distribution distribution;

    @BeforeAll
    static void unpack() throws Exception {
        distribution = Distribution.unpack(work);
        distribution.requireProvider("kubernetes", process(OWNER_A, "a"));
    }

    @AfterAll
    static void removeLeftovers() throws Exception {
        if (distribution != null) {
            for (String owner : List.of(OWNER_A, OWNER_B, OWNER_C)) {
                ITKubernetesRecovery.kubectl("delete", "pods,networkpolicies,services,configmaps", "-l",
                        "dev.stagecraft.owner=" + owner, "--grace-period=0", "--force");
            }
        }
    }

    /** The settings of one process: its owner and a state directory of its own. */
    static Map<String, String> process(String owner, String state) {
        Map<String, String> e = new HashMap<String, String>();
        e.put("STAGECRAFT_OWNER", owner);
        e.put("STAGECRAFT_STATE_DIR", work.resolve("state-" + state).toString());
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__KUBECONFIG", "/var/lib/stagecraft/kubernetes/admin.kubeconfig");
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__IMAGES__DEFAULT", "stagecraft/busybox:latest");
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__IMAGE_PULL_POLICY", "Never");
        return e;
    }

    @Test
    void processesOfDifferentOwnersAndOfTheSameOwnerShareTheCluster() throws Exception {
        Map<String, String> a = process(OWNER_A, "a");
        Map<String, String> b = process(OWNER_B, "b");
        Map<String, String> aElsewhere = process(OWNER_A, "a-elsewhere");
        String envA = created(a);
        String envB = created(b);

        // different owners: neither lists, removes nor reaps the other's
        assertThat(distribution.run(a, "env", "ls").out()).contains(envA).doesNotContain(envB);
        assertThat(distribution.run(b, "env", "ls").out()).contains(envB).doesNotContain(envA);
        Outcome refused = distribution.run(b, "env", "rm", envA);
        assertThat(refused.exitCode()).as(refused.err()).isNotZero();
        Outcome reconciled = distribution.run(b, "run", "--provider", "kubernetes", "--", "true");
        assertThat(reconciled.exitCode()).as(reconciled.err()).isZero();
        assertThat(pods(OWNER_A)).hasSize(1);

        // the same owner, another process with no state of its own: rebuilt from labels, usable
        assertThat(distribution.run(aElsewhere, "env", "ls").out()).contains(envA).doesNotContain(envB);
        Outcome there = distribution.run(aElsewhere, "env", "exec", envA, "--", "echo", "from elsewhere");
        assertThat(there.exitCode()).as(there.err()).isZero();
        assertThat(there.out()).isEqualTo("from elsewhere\n");

        // a command one process holds is not cut short by another process of the same owner
        Started held = distribution.start(a, "run", "--provider", "kubernetes", "--", "sh", "-c", "sleep 8; echo held to the end");
        ITDockerRecovery.await("the held run's pod Running", Duration.ofSeconds(120), () ->
                pods(OWNER_A).size() == 2 ? Optional.of(true) : Optional.empty());
        Outcome other = distribution.run(aElsewhere, "run", "--provider", "kubernetes", "--", "true");
        assertThat(other.exitCode()).as(other.err()).isZero();
        Outcome heldEnd = held.outcome(120);
        assertThat(heldEnd.exitCode()).as(heldEnd.err()).isZero();
        assertThat(heldEnd.out()).isEqualTo("held to the end\n");

        assertThat(distribution.run(aElsewhere, "env", "rm", envA).exitCode()).isZero();
        assertThat(distribution.run(b, "env", "rm", envB).exitCode()).isZero();
        for (String owner : List.of(OWNER_A, OWNER_B)) {
            ITDockerRecovery.await("every object of " + owner + " gone", Duration.ofSeconds(90), () ->
                    objects(owner).isEmpty() ? Optional.of(true) : Optional.empty());
        }
    }

    /**
     * Two processes of one owner with a state directory each, as on two hosts: neither sees the other's last-use files,
     * so only the use written on the pod keeps the second from reaping, as idle since its creation, an environment in
     * which the first runs a command longer than the idle timeout.
     */
    @Test
    void anEnvironmentBusyOnOneHostIsNotReapedAsIdleByAnother() throws Exception {
        Map<String, String> hostOne = process(OWNER_C, "c1");
        Map<String, String> hostTwo = process(OWNER_C, "c2");
        for (Map<String, String> host : List.of(hostOne, hostTwo)) {
            host.put("STAGECRAFT_ENVIRONMENTS__IDLE_TIMEOUT", "15s");
        }
        String env = created(hostOne);
        long createdAt = System.nanoTime();
        Started held = distribution.start(hostOne, "env", "exec", env, "--", "sh", "-c", "sleep 25; echo held to the end");
        ITDockerRecovery.await("the use written on the pod", Duration.ofSeconds(60), () -> {
            if (!held.process().isAlive()) {
                Outcome early = held.outcome(1);
                throw new AssertionError("the held command ended early: " + early.exitCode() + " " + early.err());
            }
            return annotation(env).isEmpty() ? Optional.empty() : Optional.of(true);
        });

        Thread.sleep(Math.max(0, Duration.ofSeconds(18).toMillis() - (System.nanoTime() - createdAt) / 1_000_000));
        Outcome listed = distribution.run(hostTwo, "env", "ls");
        assertThat(listed.out()).as("idle since its creation by the second host's own records, busy on the pod's")
                .contains(env);
        Outcome heldEnd = held.outcome(120);
        assertThat(heldEnd.exitCode()).as(heldEnd.err()).isZero();
        assertThat(heldEnd.out()).isEqualTo("held to the end\n");
        assertThat(distribution.run(hostTwo, "env", "ls").out()).as("just used on the first host").contains(env);

        assertThat(distribution.run(hostTwo, "env", "rm", env).exitCode()).isZero();
        ITDockerRecovery.await("every object of " + OWNER_C + " gone", Duration.ofSeconds(90), () ->
                objects(OWNER_C).isEmpty() ? Optional.of(true) : Optional.empty());
    }

    private static String annotation(String env) throws Exception {
        return ITKubernetesRecovery.kubectl("get", "pod", "sc-" + env, "-o",
                "jsonpath={.metadata.annotations.dev\\.stagecraft\\.in-use-until}").out().strip();
    }

    private static String created(Map<String, String> env) throws Exception {
        Outcome create = distribution.run(env, "env", "create", "--provider", "kubernetes");
        assertThat(create.exitCode()).as(create.err()).isZero();
        return create.out().strip();
    }

    private static List<String> pods(String owner) throws Exception {
        return lines(ITKubernetesRecovery.kubectl("get", "pods", "-l", "dev.stagecraft.owner=" + owner,
                "--field-selector=status.phase=Running", "-o", "name").out());
    }

    private static List<String> objects(String owner) throws Exception {
        return lines(ITKubernetesRecovery.kubectl("get", "pods,networkpolicies,services,configmaps", "-l",
                "dev.stagecraft.owner=" + owner, "-o", "name").out());
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }
}
