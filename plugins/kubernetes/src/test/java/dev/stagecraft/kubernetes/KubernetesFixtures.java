package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Providers, specs and checks for the kubernetes provider's own tests, against the test cluster of
 * scripts/setup.d/60-kubernetes.sh (its admin kubeconfig; {@code STAGECRAFT_TEST_KUBECONFIG} names another) and the
 * locally built images of scripts/setup.d/20-docker.sh, never pulled.
 */
final class KubernetesFixtures {
    static final String BUSYBOX = "stagecraft/busybox:latest";
    static final String PYTHON = "stagecraft/python:3.11";
    /** What every command gets: HOME the workspace, LANG the provider's. */
    static final Map<String, String> COMMAND_DEFAULTS = Map.of("HOME", "/workspace", "LANG", "C.UTF-8");

    private KubernetesFixtures() {
    }

    static Path kubeconfig() {
        String configured = System.getenv("STAGECRAFT_TEST_KUBECONFIG");
        return Path.of(configured == null || configured.isBlank() ? "/var/lib/stagecraft/kubernetes/admin.kubeconfig" : configured);
    }

    /** Settings for the test cluster: its kubeconfig, the test images with pulling off. */
    static Map<String, Object> testSettings() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("kubeconfig", kubeconfig().toString());
        settings.put("images", Map.of("default", BUSYBOX, "python", PYTHON));
        settings.put("image-pull-policy", "Never");
        return settings;
    }

    static KubernetesProvider provider(Path stateDir) {
        return provider(stateDir, testSettings());
    }

    static KubernetesProvider provider(Path stateDir, Map<String, ?> settings) {
        KubernetesProvider provider = new KubernetesProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.kubernetes", settings)));
        return provider;
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.CONTAINER,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)).with(Labels.KIND, KubernetesProvider.KIND));
    }

    /** A client of the test cluster's own, for looking at what the provider made. */
    static KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, new File(kubeconfig().toString()))).build();
    }

    /**
     * Fails unless nothing of environment {@code id} is left within {@link #LEAVES_WITHIN}: no pod, NetworkPolicy,
     * Service or ConfigMap labelled with it in {@code namespace}, and no Docker container of its pod (the kubelet names them {@code k8s_<container>_<pod>_<namespace>_…}).
     */
    static void assertNothingLeft(KubernetesClient client, String namespace, String id) {
        Map<String, String> selector = PodLabels.environmentSelector(id);
        // destroy() returns once the deletion is accepted: the kubelet, then the garbage collector, finish it
        dev.stagecraft.tck.Deadline.await(LEAVES_WITHIN, "no pod, network policy, service, config map or Docker container of "
                        + id + " left",
                () -> client.pods().inNamespace(namespace).withLabels(selector).list().getItems().isEmpty()
                        && client.network().v1().networkPolicies().inNamespace(namespace).withLabels(selector).list().getItems().isEmpty()
                        && client.services().inNamespace(namespace).withLabels(selector).list().getItems().isEmpty()
                        && client.configMaps().inNamespace(namespace).withLabels(selector).list().getItems().isEmpty()
                        && dockerContainersOf(PodLabels.objectName(id), namespace).isEmpty());
    }

    /** How long a destroyed environment's objects may take to leave: the forced delete's 30 s, and the kubelet's clean-up. */
    static final Duration LEAVES_WITHIN = Duration.ofSeconds(90);

    /** The Docker containers (running or not) that the kubelet made for pod {@code pod}. */
    static List<String> dockerContainersOf(String pod, String namespace) {
        try {
            Process p = new ProcessBuilder("docker", "ps", "-aq", "--filter", "name=_" + pod + "_" + namespace + "_")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("docker ps: %s", out).isZero();
            return out.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new AssertionError("docker ps cannot run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
