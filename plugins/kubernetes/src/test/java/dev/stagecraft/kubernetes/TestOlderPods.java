package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pods made before the run files had a tmpfs of their own: known from their spec, and refused one line at a time. No cluster needed. */
class TestOlderPods {
    private static final KubernetesSettings SETTINGS = KubernetesSettings.from(new Settings("test", "providers.kubernetes", Map.of()));

    @Test
    void aPodWithoutTheRunDirIsKnownFromItsSpec() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().build());
        Pod current = PodManifest.pod(spec, SETTINGS);
        assertThat(PodManifest.hasRunDir(current)).isTrue();
        Pod older = new PodBuilder(current).editSpec().editFirstContainer()
                .removeMatchingFromVolumeMounts(m -> PodScripts.RUN_DIR.equals(m.getMountPath())).endContainer().endSpec().build();
        assertThat(PodManifest.hasRunDir(older)).isFalse();
    }

    @Test
    void commandsInAnOlderPodAreRefusedWithOneLine() {
        EnvironmentSpec spec = KubernetesFixtures.spec(EnvironmentRequirement.builder().build());
        // never connected: the refusal comes before any call to the cluster
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:9").build()).build()) {
            KubernetesEnvironment env = new KubernetesEnvironment(spec.id(), spec.labels(), IsolationLevel.CONTAINER, client,
                    SETTINGS, -1, false, false, null, null, null);
            Throwable refused = catchThrowable(() -> env.execute(ExecRequest.of("true")));
            assertThat(refused).isInstanceOf(StagecraftException.class);
            assertThat(((StagecraftException) refused).code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
            assertThat(refused.getMessage()).doesNotContain("\n").contains(spec.id(), "older provider", PodScripts.RUN_DIR,
                    "destroy it");
        }
    }
}
