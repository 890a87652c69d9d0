package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Settings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The objects of one environment, as data: the restricted profile field by field, the network policy, and the
 * Service and ConfigMap of the options {@code ports} and {@code config.*}.
 */
class TestPodManifest {
    private static final KubernetesSettings SETTINGS = KubernetesSettings.from(new Settings("test", "providers.kubernetes",
            Map.of("namespace", "tools")));

    @Test
    void podHoldsTheRestrictedProfile() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().toolType("python").memoryBytes(64L << 20).build());
        Pod pod = PodManifest.pod(spec, SETTINGS);
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("tools");
        assertThat(pod.getMetadata().getLabels()).containsEntry("dev.stagecraft.environment-id", spec.id());
        var podSecurity = pod.getSpec().getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).isEqualTo(1000L);
        assertThat(podSecurity.getRunAsGroup()).isEqualTo(1000L);
        assertThat(podSecurity.getFsGroup()).isEqualTo(1000L);
        assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSpec().getEnableServiceLinks()).isFalse();
        assertThat(pod.getSpec().getRuntimeClassName()).isNull();
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("python:3.11-slim");
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath())
                .containsExactlyInAnyOrder("/tmp", "/dev/shm", PodScripts.RUN_DIR, "/workspace");
        assertThat(pod.getSpec().getVolumes()).allMatch(v -> v.getEmptyDir() != null);
        assertThat(pod.getSpec().getVolumes()).filteredOn(v -> "Memory".equals(v.getEmptyDir().getMedium()))
                .extracting(v -> v.getName() + " " + v.getEmptyDir().getSizeLimit().getNumericalAmount().longValue())
                .as("tmpfs volumes and their sizes").containsExactlyInAnyOrder("tmp " + (100L << 20), "shm " + (100L << 20),
                        "runs " + PodManifest.RUN_DIR_BYTES);
        assertThat(c.getResources().getLimits().get("memory").getNumericalAmount().longValue()).isEqualTo(64L << 20);
        assertThat(c.getResources().getRequests()).isEqualTo(c.getResources().getLimits());
    }

    @Test
    void userKernelNamesTheRuntimeClass() {
        EnvironmentSpec container = KubernetesFixtures.spec(EnvironmentRequirement.builder().build());
        EnvironmentSpec spec = new EnvironmentSpec(container.id(), container.requirement(), IsolationLevel.USER_KERNEL, container.labels());
        assertThat(PodManifest.pod(spec, SETTINGS).getSpec().getRuntimeClassName()).isEqualTo("gvisor");
    }

    @Test
    void networkPolicyDeniesAllTrafficUnlessNetworkIsAsked() {
        EnvironmentSpec off = KubernetesFixtures.spec(EnvironmentRequirement.builder().build());
        NetworkPolicy closed = PodManifest.networkPolicy(off, "tools");
        assertThat(closed.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(closed.getSpec().getEgress()).isNullOrEmpty();
        assertThat(closed.getSpec().getIngress()).isNullOrEmpty();
        assertThat(closed.getSpec().getPodSelector().getMatchLabels()).containsEntry("dev.stagecraft.environment-id", off.id());

        NetworkPolicy open = PodManifest.networkPolicy(KubernetesFixtures.spec(EnvironmentRequirement.builder().network(true).build()), "tools");
        assertThat(open.getSpec().getEgress()).hasSize(1);
        var v4 = open.getSpec().getEgress().get(0).getTo().get(0).getIpBlock();
        assertThat(v4.getCidr()).isEqualTo("0.0.0.0/0");
        assertThat(v4.getExcept()).contains("10.0.0.0/8", "169.254.0.0/16", "127.0.0.0/8");

        NetworkPolicy listed = PodManifest.networkPolicy(KubernetesFixtures.spec(EnvironmentRequirement.builder().network(true)
                .allowCidr("203.0.113.0/24").build()), "tools");
        assertThat(listed.getSpec().getEgress().get(0).getTo()).singleElement()
                .satisfies(p -> assertThat(p.getIpBlock().getCidr()).isEqualTo("203.0.113.0/24"));
    }

    @Test
    void noOptionsMeanNoServiceNoConfigMapNoPortsAndNoIngress() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().build());
        assertThat(PodManifest.service(spec, "tools")).isEmpty();
        assertThat(PodManifest.configMap(spec, "tools")).isEmpty();
        Pod pod = PodManifest.pod(spec, SETTINGS);
        assertThat(pod.getSpec().getContainers().get(0).getPorts()).isNullOrEmpty();
        assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getConfigMap() != null);
    }

    @Test
    void exposedPortsAreDeclaredServedAndLetIn() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().option("ports", "8080,9000").build());
        Container c = PodManifest.pod(spec, SETTINGS).getSpec().getContainers().get(0);
        assertThat(c.getPorts()).extracting(p -> p.getName() + " " + p.getContainerPort() + "/" + p.getProtocol())
                .containsExactly("p8080 8080/TCP", "p9000 9000/TCP");

        Service service = PodManifest.service(spec, "tools").orElseThrow();
        assertThat(service.getMetadata().getName()).isEqualTo(PodLabels.objectName(spec.id()));
        assertThat(service.getMetadata().getNamespace()).isEqualTo("tools");
        assertThat(service.getMetadata().getLabels()).isEqualTo(PodLabels.kubernetesLabels(spec.labels()));
        assertThat(service.getMetadata().getAnnotations()).isEqualTo(PodLabels.annotations(spec.labels()));
        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getSelector()).isEqualTo(PodLabels.environmentSelector(spec.id()));
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + " " + p.getPort() + "->" + p.getTargetPort().getIntVal()
                + "/" + p.getProtocol()).containsExactly("p8080 8080->8080/TCP", "p9000 9000->9000/TCP");

        NetworkPolicy policy = PodManifest.networkPolicy(spec, "tools");
        assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getFrom()).as("from any pod or address").isNullOrEmpty();
            assertThat(rule.getPorts()).extracting(p -> p.getPort() + "/" + p.getProtocol())
                    .containsExactly(new IntOrString(8080) + "/TCP", new IntOrString(9000) + "/TCP");
        });
        assertThat(policy.getSpec().getEgress()).as("egress as without ports: none unless network is asked").isNullOrEmpty();
        NetworkPolicy networked = PodManifest.networkPolicy(KubernetesFixtures.spec(EnvironmentRequirement.builder().network(true)
                .option("ports", "8080").build()), "tools");
        assertThat(networked.getSpec().getEgress()).hasSize(1);
        assertThat(networked.getSpec().getIngress()).hasSize(1);
    }

    @Test
    void configDataIsAnImmutableConfigMapMountedReadOnly() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().option("config.app.yaml", "a: 1\n")
                .option("config.token", "t").build());
        ConfigMap config = PodManifest.configMap(spec, "tools").orElseThrow();
        assertThat(config.getMetadata().getName()).isEqualTo(PodLabels.objectName(spec.id()));
        assertThat(config.getMetadata().getLabels()).isEqualTo(PodLabels.kubernetesLabels(spec.labels()));
        assertThat(config.getMetadata().getAnnotations()).isEqualTo(PodLabels.annotations(spec.labels()));
        assertThat(config.getImmutable()).isTrue();
        assertThat(config.getData()).containsExactly(Map.entry("app.yaml", "a: 1\n"), Map.entry("token", "t"));

        Pod pod = PodManifest.pod(spec, SETTINGS);
        assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts()).filteredOn(m -> "/config".equals(m.getMountPath()))
                .singleElement().satisfies(m -> {
                    assertThat(m.getReadOnly()).isTrue();
                    assertThat(m.getName()).isEqualTo("config");
                });
        assertThat(pod.getSpec().getVolumes()).filteredOn(v -> "config".equals(v.getName())).singleElement().satisfies(v -> {
            assertThat(v.getConfigMap().getName()).isEqualTo(PodLabels.objectName(spec.id()));
            assertThat(v.getConfigMap().getDefaultMode()).isEqualTo(0444);
        });
        assertThat(PodManifest.service(spec, "tools")).as("no ports, no Service").isEmpty();
    }
}
