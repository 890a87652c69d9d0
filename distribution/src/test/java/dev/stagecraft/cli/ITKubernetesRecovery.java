package dev.stagecraft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.cli.Distribution.Outcome;
import dev.stagecraft.cli.Distribution.Started;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubernetes kind from the tarball against the test cluster of scripts/setup.d/60-kubernetes.sh: a run works,
 * {@code select --explain} and {@code doctor} show the kind, and a manager killed with SIGKILL during an exec leaves a
 * pod and a NetworkPolicy that the next run's reconcile removes. Everything runs under an owner of its own.
 */
class ITKubernetesRecovery {
    private static final String OWNER = "it-k8s-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String KUBECTL = "/var/cache/stagecraft/kubernetes/bin/kubectl";
    /**
     * How long a destroyed pod may take to leave the API. A CLI process exits right after its destroy is accepted, so
     * the provider's force after 30 s never comes; the kubelet alone removes the pod, which took 90 s once, right after
     * ITDockerRecovery restarted dockerd under it.
     */
    private static final Duration LEAVE = Duration.ofSeconds(180);
    private static final String KUBECONFIG = "/var/lib/stagecraft/kubernetes/admin.kubeconfig";

    @TempDir
    static Path work;
    static Distribution distribution;
    static Map<String, String> env;

    @BeforeAll
    static void unpack() throws Exception {
        distribution = Distribution.unpack(work);
        Map<String, String> e = new HashMap<>();
        e.put("STAGECRAFT_OWNER", OWNER);
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__KUBECONFIG", KUBECONFIG);
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__IMAGES__DEFAULT", "stagecraft/busybox:latest");
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__IMAGES__PYTHON", "stagecraft/python:3.11");
        e.put("STAGECRAFT_PROVIDERS__KUBERNETES__IMAGE_PULL_POLICY", "Never");
        env = Map.copyOf(e);
        distribution.requireProvider("kubernetes", env);
    }

    @AfterAll
    static void removeLeftovers() throws Exception {
        if (env != null) {
            kubectl("delete", "pods,networkpolicies,services,configmaps", "-l", "dev.stagecraft.owner=" + OWNER, "--grace-period=0", "--force");
        }
    }

    @Test
    void pythonRunsFromTheTarballAndTheKindIsExplainedAndReported() throws Exception {
        Outcome run = distribution.run(env, "run", "--provider", "kubernetes", "--tool-type", "python", "--", "python3", "-c", "print(1)");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("1\n");
        Outcome explain = distribution.run(env, "select", "--explain");
        assertThat(explain.out() + explain.err()).contains("kubernetes");
        Outcome doctor = distribution.run(env, "doctor");
        assertThat(doctor.out()).contains("kubernetes").contains("v1.20.2");
        // a destroy returns once the deletion is accepted; the kubelet and the garbage collector finish it
        ITDockerRecovery.await("the run's pod and policy gone", LEAVE, () ->
                objectsOf("dev.stagecraft.owner=" + OWNER).isEmpty() ? Optional.of(true) : Optional.empty());
    }

    @Test
    void aManagerKilledDuringAnExecIsCleanedUpByTheNextRun() throws Exception {
        Started run = distribution.start(env, "run", "--provider", "kubernetes", "--", "sleep", "300");
        String pod;
        try {
            pod = ITDockerRecovery.await("the pod of the run, Running", Duration.ofSeconds(180), () -> {
                assertThat(run.process().isAlive()).as("the run is still running").isTrue();
                List<String> pods = lines(kubectl("get", "pods", "-l", "dev.stagecraft.owner=" + OWNER,
                        "--field-selector=status.phase=Running", "-o", "name").out());
                return pods.size() == 1 ? Optional.of(pods.get(0)) : Optional.empty();
            });
            ITDockerRecovery.await("sleep 300 running in " + pod, Duration.ofSeconds(60), () ->
                    kubectl("exec", pod, "--", "ps").out().contains("sleep 300") ? Optional.of(true) : Optional.empty());
            run.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            run.process().destroyForcibly(); // SIGKILL
            assertThat(run.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            run.process().destroyForcibly();
        }
        String selector = "dev.stagecraft.owner=" + OWNER;
        assertThat(objectsOf(selector)).as("the killed run's pod and policy are left until someone reconciles").hasSize(2);

        Outcome next = distribution.run(env, "run", "--provider", "kubernetes", "--", "true");
        assertThat(next.exitCode()).as(next.err()).isZero();
        ITDockerRecovery.await("pods and network policies of " + OWNER + " gone after the next run", LEAVE, () ->
                objectsOf(selector).isEmpty() ? Optional.of(true) : Optional.empty());
    }

    private static List<String> objectsOf(String selector) throws Exception {
        return lines(kubectl("get", "pods,networkpolicies,services,configmaps", "-l", selector, "-o", "name").out());
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    static Outcome kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(KUBECTL, "--kubeconfig", KUBECONFIG));
        command.addAll(List.of(args));
        return HostCommands.run(60, command.toArray(String[]::new));
    }
}
