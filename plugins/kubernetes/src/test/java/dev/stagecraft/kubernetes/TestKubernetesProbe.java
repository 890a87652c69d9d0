package dev.stagecraft.kubernetes;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.tck.BackendRequirement;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * probe()'s reasons, each made real on the test cluster: no kubeconfig, an apiserver that does not answer, a refused
 * token (401), a service account without the Role (403, naming the verbs), one with the Role of before Services and
 * ConfigMaps (the probe names them; a create with ports fails naming 'services', leaving nothing), a missing
 * namespace; and the Role of docs/providers/kubernetes/stagecraft-role.yaml, applied as is, is enough to create (with
 * a Service and a ConfigMap), run in and destroy an environment.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestKubernetesProbe {
    @TempDir
    Path dir;
    private KubernetesClient admin;
    private String namespace;

    @BeforeEach
    void cluster() {
        BackendRequirement.require(KubernetesFixtures.provider(dir));
        admin = KubernetesFixtures.client();
        namespace = "sc-probe-" + UUID.randomUUID().toString().substring(0, 8);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }

    @AfterEach
    void removeNamespace() {
        if (admin != null) {
            admin.namespaces().withName(namespace).delete();
            admin.rbac().clusterRoles().withName("stagecraft-probe").delete();
            admin.close();
        }
    }

    private ProviderHealth probe(Map<String, Object> settings) {
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir, settings)) {
            provider.useEnvironment(Map.of());
            return provider.probe();
        }
    }

    private Map<String, Object> settings(Path kubeconfig, String ns) {
        Map<String, Object> settings = new HashMap<>(KubernetesFixtures.testSettings());
        if (kubeconfig == null) {
            settings.remove("kubeconfig");
        } else {
            settings.put("kubeconfig", kubeconfig.toString());
        }
        settings.put("namespace", ns);
        return settings;
    }

    /** A kubeconfig for {@code server} with bearer token {@code token}, trusting the test cluster's CA. */
    private Path kubeconfig(String server, String token) throws IOException {
        String ca = admin.getConfiguration().getCaCertData();
        if (ca == null) {
            ca = Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(admin.getConfiguration().getCaCertFile())));
        }
        Path file = dir.resolve("kubeconfig-" + UUID.randomUUID());
        Files.writeString(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server
                + "\n    certificate-authority-data: " + ca + "\nusers:\n- name: u\n  user:\n    token: " + token
                + "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n");
        return file;
    }

    /** The token of a new service account in the test namespace (1.20 still makes token secrets). */
    private String serviceAccountToken(String name) {
        admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
                .endMetadata().build()).create();
        var sa = admin.serviceAccounts().inNamespace(namespace).withName(name).waitUntilCondition(
                s -> s != null && s.getSecrets() != null && !s.getSecrets().isEmpty(), 60, TimeUnit.SECONDS);
        var secret = admin.secrets().inNamespace(namespace).withName(sa.getSecrets().get(0).getName()).get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), UTF_8);
    }

    /**
     * A kubeconfig for a new service account {@code name}, bound to a Role of that name with {@code rules} and every
     * verb on networkpolicies.
     */
    private Path boundTo(String name, RoleBuilder rules) throws IOException {
        admin.rbac().roles().inNamespace(namespace).resource(rules.withNewMetadata().withName(name).endMetadata()
                .addNewRule().withApiGroups("networking.k8s.io").withResources("networkpolicies").withVerbs("*").endRule()
                .build()).create();
        admin.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
                .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(namespace).endSubject().build()).create();
        return kubeconfig(admin.getConfiguration().getMasterUrl(), serviceAccountToken(name));
    }

    @Test
    void noKubeconfigAnywhere() {
        ProviderHealth health = probe(settings(null, namespace));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).startsWith("no kubeconfig");
        assertThat(String.join(" ", health.remedies())).contains("KUBECONFIG");
        Map<String, Object> missing = settings(dir.resolve("nope"), namespace);
        assertThat(probe(missing).reason()).contains("providers.kubernetes.kubeconfig").contains("does not exist");
    }

    @Test
    void anApiserverThatDoesNotAnswer() throws IOException {
        ProviderHealth health = probe(settings(kubeconfig("https://127.0.0.1:1", "x"), namespace));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("https://127.0.0.1:1").contains("does not answer");
    }

    @Test
    void aRefusedTokenIs401() throws IOException {
        ProviderHealth health = probe(settings(kubeconfig(admin.getConfiguration().getMasterUrl(), "not-a-token"), namespace));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("401");
    }

    @Test
    void aUserWithoutTheRoleIsToldEveryVerbItLacks() throws IOException {
        Path config = kubeconfig(admin.getConfiguration().getMasterUrl(), serviceAccountToken("nobody"));
        ProviderHealth health = probe(settings(config, namespace));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("may not create pods").contains("create pods/exec")
                .contains("create networkpolicies").contains("patch services").contains("list configmaps").contains(namespace);
        assertThat(String.join(" ", health.remedies())).contains("Role");
    }

    @Test
    void aRoleWithoutServicesIsNamedByTheProbeAndByACreateWithPorts() throws IOException {
        // the Role before Services and ConfigMaps existed: pods, pods/exec and networkpolicies alone
        Path config = boundTo("older", new RoleBuilder().addNewRule().withApiGroups("").withResources("pods", "pods/exec")
                .withVerbs("*").endRule());
        ProviderHealth health = probe(settings(config, namespace));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("may not create services").contains("delete configmaps")
                .doesNotContain("pods").doesNotContain("networkpolicies");
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir, settings(config, namespace))) {
            var spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().option("ports", "8080").build());
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> provider.create(spec));
            assertThat(refused).isInstanceOf(dev.stagecraft.api.ProvisioningException.class);
            assertThat(refused.getMessage()).doesNotContain("\n").contains("HTTP 403").contains("'services'")
                    .contains("docs/providers/kubernetes.md");
            // the policy made before the refused Service is removed (and the admin sees nothing of it)
            KubernetesFixtures.assertNothingLeft(admin, namespace, spec.id());
        }
    }

    @Test
    void aRoleWithoutEventsStillMakesEnvironmentsThatRun() throws IOException {
        // events are optional: without them a new pod counts as started when its status says so
        Path config = boundTo("no-events", new RoleBuilder().addNewRule().withApiGroups("")
                .withResources("pods", "pods/exec", "services", "configmaps").withVerbs("*").endRule());
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir, settings(config, namespace))) {
            ExecutionEnvironment env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
            try {
                assertThat(env.status()).isEqualTo(dev.stagecraft.api.EnvironmentStatus.READY);
                assertThat(env.execute(dev.stagecraft.api.ExecRequest.of("echo", "ran")).stdoutText()).isEqualTo("ran\n");
            } finally {
                env.destroy();
            }
            KubernetesFixtures.assertNothingLeft(admin, namespace, env.id());
        }
    }

    @Test
    void aMissingNamespaceIsNamed() {
        ProviderHealth health = probe(settings(KubernetesFixtures.kubeconfig(), "sc-no-such-namespace"));
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("namespace 'sc-no-such-namespace' does not exist");
    }

    @Test
    void theDocumentedRoleIsEnough() throws Exception {
        Path yaml = Path.of(System.getProperty("user.dir")).resolve("../../docs/providers/kubernetes/stagecraft-role.yaml");
        // kubectl applies the file as a person would; its optional ClusterRole is left unbound (and removed after)
        Process apply = new ProcessBuilder("/var/cache/stagecraft/kubernetes/bin/kubectl", "--kubeconfig",
                KubernetesFixtures.kubeconfig().toString(), "-n", namespace, "apply", "-f", yaml.toString())
                .redirectErrorStream(true).start();
        String applied = new String(apply.getInputStream().readAllBytes(), UTF_8);
        assertThat(apply.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(apply.exitValue()).as(applied).isZero();
        assertThat(applied).contains("role.rbac.authorization.k8s.io/stagecraft").contains("rolebinding.rbac.authorization.k8s.io/stagecraft");
        Path config = kubeconfig(admin.getConfiguration().getMasterUrl(), serviceAccountToken("stagecraft"));
        Map<String, Object> settings = settings(config, namespace);
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir, settings)) {
            ProviderHealth health = provider.probe();
            assertThat(health.available()).as(health.reason()).isTrue();
            assertThat(health.details().get("nodes")).contains("no permission");
            // with a Service and a ConfigMap, so that their create, own (get, patch), discover (list) and delete are covered
            ExecutionEnvironment env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder()
                    .ttl(Duration.ofMinutes(5)).option("ports", "8080").option("config.app.conf", "with the role\n").build()));
            try {
                assertThat(env.execute(dev.stagecraft.api.ExecRequest.of("cat", "/config/app.conf")).stdoutText())
                        .isEqualTo("with the role\n");
                env.putFile("f.txt", "x".getBytes(UTF_8));
                assertThat(provider.discover()).anyMatch(e -> e.id().equals(env.id()));
                env.stop();
                env.start();
            } finally {
                env.destroy();
            }
            KubernetesFixtures.assertNothingLeft(admin, namespace, env.id());
        }
    }
}
