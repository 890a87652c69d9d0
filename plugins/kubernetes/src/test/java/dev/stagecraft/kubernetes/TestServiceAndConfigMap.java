package dev.stagecraft.kubernetes;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options {@code ports} and {@code config.*} on the test cluster: the Service and ConfigMap they make, owned by
 * the pod; the endpoints controller routing the Service to the pod; a server in the pod reached from this JVM (the pod
 * IP is on Docker's bridge); the config file as given and read-only; bad options refused before anything is made; and
 * a Service or ConfigMap left without its pod found by {@code discover()} in status ERROR and removed by
 * {@code destroy()}. The test cluster's network plugin does not enforce NetworkPolicy, so the ingress rule is checked
 * as data ({@link TestPodManifest}), not for its effect.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestServiceAndConfigMap {
    private static final String NAMESPACE = "default";
    private static final Duration WITHIN = Duration.ofSeconds(60);
    private static final String APP_YAML = "name: tool\nlimits:\n  cpu: \"1\"\n  memory: 64Mi\n# a comment, then a blank line\n\nend: true\n";

    @TempDir
    Path dir;
    private KubernetesProvider provider;
    private KubernetesClient client;

    @BeforeEach
    void cluster() {
        provider = KubernetesFixtures.provider(dir);
        BackendRequirement.require(provider);
        client = KubernetesFixtures.client();
    }

    @AfterEach
    void close() {
        provider.close();
        if (client != null) {
            client.close();
        }
    }

    @Test
    void anExposedPortAndConfigDataMakeAServiceAndAConfigMapThatThePodOwns() throws Exception {
        ExecutionEnvironment env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder()
                .option("ports", "8080").option("config.app.yaml", APP_YAML).build()));
        try {
            String name = PodLabels.objectName(env.id());
            Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
            Service service = client.services().inNamespace(NAMESPACE).withName(name).get();
            assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
            assertThat(service.getSpec().getSelector()).isEqualTo(PodLabels.environmentSelector(env.id()));
            assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getPort()).isEqualTo(8080);
                assertThat(p.getTargetPort().getIntVal()).isEqualTo(8080);
                assertThat(p.getProtocol()).isEqualTo("TCP");
            });
            ConfigMap config = client.configMaps().inNamespace(NAMESPACE).withName(name).get();
            assertThat(config.getImmutable()).isTrue();
            assertThat(config.getData()).containsExactly(Map.entry("app.yaml", APP_YAML));
            for (HasMetadata owned : List.of(service, config, client.network().v1().networkPolicies().inNamespace(NAMESPACE)
                    .withName(name).get())) {
                assertThat(owned.getMetadata().getOwnerReferences()).as("%s's owner", owned.getKind()).singleElement()
                        .satisfies(o -> {
                            assertThat(o.getKind()).isEqualTo("Pod");
                            assertThat(o.getUid()).isEqualTo(pod.getMetadata().getUid());
                        });
                assertThat(PodLabels.of(owned.getMetadata())).contains(env.labels());
            }

            String ip = pod.getStatus().getPodIP();
            Deadline.await(WITHIN, "the endpoints of " + name + " list " + ip + ":8080",
                    () -> endpoints(name).contains(ip + ":8080"));

            CompletableFuture<ExecResult> server = CompletableFuture.supplyAsync(() -> env.execute(ExecRequest.builder("sh", "-c",
                    "echo hello from the pod | nc -l -p 8080").timeout(WITHIN).build()));
            Deadline.await(WITHIN, "a TCP connection from here to " + ip + ":8080 reads the server's line",
                    () -> "hello from the pod\n".equals(read(ip, 8080)));
            assertThat(server.get(WITHIN.toSeconds(), TimeUnit.SECONDS).exitCode()).isZero();

            assertThat(env.execute(ExecRequest.of("cat", "/config/app.yaml")).stdoutText()).isEqualTo(APP_YAML);
            assertThat(env.execute(ExecRequest.of("stat", "-L", "-c", "%a", "/config/app.yaml")).stdoutText()).isEqualTo("444\n");
            ExecResult overwrite = env.execute(ExecRequest.of("sh", "-c", "echo changed > /config/app.yaml"));
            assertThat(overwrite.exitCode()).as(overwrite.stderrText()).isNotZero();
            ExecResult add = env.execute(ExecRequest.of("touch", "/config/new"));
            assertThat(add.exitCode()).isNotZero();
            assertThat(add.stderrText()).contains("Read-only file system");
            assertThat(env.execute(ExecRequest.of("cat", "/config/app.yaml")).stdoutText()).isEqualTo(APP_YAML);
        } finally {
            env.destroy();
        }
        KubernetesFixtures.assertNothingLeft(client, NAMESPACE, env.id());
    }

    @Test
    void badOptionsAreRefusedWithOneLineBeforeAnythingIsMade() {
        Map<String, String[]> cases = Map.of(
                "ports=0", new String[] {"ports", "0"},
                "ports=abc", new String[] {"ports", "abc"},
                "ports=80,80", new String[] {"ports", "80,80"},
                "config.a/b", new String[] {"config.a/b", "v"},
                "2 MiB of config", new String[] {"config.big", "x".repeat(2 << 20)});
        cases.forEach((what, option) -> {
            EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().option(option[0], option[1]).build());
            Throwable refused = catchThrowable(() -> provider.create(spec));
            assertThat(refused).as(what).isInstanceOf(StagecraftException.class);
            assertThat(((StagecraftException) refused).code()).as(what).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
            assertThat(refused.getMessage()).as(what).startsWith("option " + option[0] + ": ").doesNotContain("\n");
            KubernetesFixtures.assertNothingLeft(client, NAMESPACE, spec.id());
        });
    }

    @Test
    void aServiceOrConfigMapWithoutItsPodIsFoundInErrorAndRemoved() {
        EnvironmentSpec serviceOnly = KubernetesFixtures.spec(EnvironmentRequirement.builder().option("ports", "8080").build());
        EnvironmentSpec configOnly = KubernetesFixtures.spec(EnvironmentRequirement.builder().option("config.a", "b").build());
        // as a crash between the creates would leave them: the provider's labels, no pod (so no owner)
        client.services().inNamespace(NAMESPACE).resource(PodManifest.service(serviceOnly, NAMESPACE).orElseThrow()).create();
        client.configMaps().inNamespace(NAMESPACE).resource(PodManifest.configMap(configOnly, NAMESPACE).orElseThrow()).create();
        try {
            List<ExecutionEnvironment> orphans = new ArrayList<>();
            for (EnvironmentSpec spec : List.of(serviceOnly, configOnly)) {
                ExecutionEnvironment found = provider.discover().stream().filter(e -> e.id().equals(spec.id())).findFirst()
                        .orElseThrow(() -> new AssertionError("discover() does not list " + spec.id()));
                assertThat(found.status()).isEqualTo(EnvironmentStatus.ERROR);
                assertThat(found.labels()).isEqualTo(spec.labels());
                orphans.add(found);
            }
            orphans.forEach(ExecutionEnvironment::destroy);
            for (EnvironmentSpec spec : List.of(serviceOnly, configOnly)) {
                KubernetesFixtures.assertNothingLeft(client, NAMESPACE, spec.id());
                assertThat(provider.discover()).noneMatch(e -> e.id().equals(spec.id()));
            }
        } finally {
            client.services().inNamespace(NAMESPACE).withName(PodLabels.objectName(serviceOnly.id())).delete();
            client.configMaps().inNamespace(NAMESPACE).withName(PodLabels.objectName(configOnly.id())).delete();
        }
    }

    /** The Endpoints of {@code name} as {@code ip:port} strings; empty while there are none. */
    private List<String> endpoints(String name) {
        Endpoints endpoints = client.endpoints().inNamespace(NAMESPACE).withName(name).get();
        List<String> out = new ArrayList<>();
        if (endpoints != null && endpoints.getSubsets() != null) {
            endpoints.getSubsets().stream().filter(subset -> subset.getAddresses() != null && subset.getPorts() != null)
                    .forEach(subset -> subset.getAddresses().forEach(a -> subset.getPorts()
                            .forEach(p -> out.add(a.getIp() + ":" + p.getPort()))));
        }
        return out;
    }

    /** What a server at {@code ip:port} sends before it closes; null when nothing listens yet. */
    private static String read(String ip, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(ip, port), 2000);
            socket.setSoTimeout(10_000);
            return new String(socket.getInputStream().readAllBytes(), UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
