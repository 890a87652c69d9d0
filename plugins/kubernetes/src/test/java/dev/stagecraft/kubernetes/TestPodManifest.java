package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Settings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The objects of one environment, as data: the restricted profile field by field, and the network policy. */
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
}
