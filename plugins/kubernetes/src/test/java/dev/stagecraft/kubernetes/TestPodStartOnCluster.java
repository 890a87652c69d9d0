package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.tck.BackendRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * create() on the test cluster returns once the pod's container runs ({@link PodStart}: the kubelet's Started event,
 * which may come before the pod's status says so): the environment is then READY to its own provider and to one that
 * adopts it from the cluster alone, and runs commands; a pod that cannot start still fails at once with the kubelet's
 * reason and leaves nothing.
 */
class TestPodStartOnCluster {
    @TempDir
    Path dir;
    @TempDir
    Path otherDir;

    @Test
    void anEnvironmentIsReadyEverywhereOnceCreateReturns() {
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir); KubernetesClient admin = KubernetesFixtures.client()) {
            BackendRequirement.require(provider);
            ExecutionEnvironment env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
            try {
                String name = PodLabels.objectName(env.id());
                Pod pod = admin.pods().inNamespace("default").withName(name).get();
                assertThat(PodStart.announced(admin, "default", name, pod.getMetadata().getUid()))
                        .as("the kubelet's Started event of the pod's container").isTrue();
                try (KubernetesProvider other = KubernetesFixtures.provider(otherDir)) {
                    ExecutionEnvironment adopted = other.discover().stream().filter(e -> e.id().equals(env.id())).findFirst()
                            .orElseThrow(() -> new AssertionError("a second provider does not discover " + env.id()));
                    assertThat(adopted.status()).isEqualTo(EnvironmentStatus.READY);
                    adopted.start();
                    assertThat(adopted.execute(ExecRequest.of("echo", "adopted")).stdoutText()).isEqualTo("adopted\n");
                }
                assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
                assertThat(env.execute(ExecRequest.of("echo", "made")).stdoutText()).isEqualTo("made\n");
            } finally {
                env.destroy();
            }
            KubernetesFixtures.assertNothingLeft(admin, "default", env.id());
        }
    }

    @Test
    void aPodThatCannotStartFailsWithTheKubeletsReasonAndLeavesNothing() {
        try (KubernetesProvider provider = KubernetesFixtures.provider(dir); KubernetesClient admin = KubernetesFixtures.client()) {
            BackendRequirement.require(provider);
            EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder()
                    .option("image", "stagecraft/no-such-image:0").build());
            Throwable refused = catchThrowable(() -> provider.create(spec));
            assertThat(refused).isInstanceOf(ProvisioningException.class);
            assertThat(refused.getMessage()).doesNotContain("\n").contains("cannot start", "ErrImageNeverPull");
            KubernetesFixtures.assertNothingLeft(admin, "default", spec.id());
        }
    }
}
