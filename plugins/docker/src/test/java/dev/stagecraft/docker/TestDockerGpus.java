package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.model.DeviceRequest;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPUs on the docker kind: the device requests `docker run --gpus` would send (no GPU needed), and on this host's real
 * Engine, which has no NVIDIA runtime, an honest describe() and a one-line refusal that leaves no container behind.
 */
class TestDockerGpus {
    private static final DockerSettings DEFAULTS = DockerSettings.from(Settings.empty("providers.docker"));
    private static final EngineInfo WITH_TOOLKIT = new EngineInfo(Map.of("runc", List.of(), "nvidia", List.of()), "runc",
            2, 1L << 34, "overlay2", "cgroupfs", Instant.now());

    @TempDir
    Path stateDir;

    private static EnvironmentSpec spec(EnvironmentRequirement.Builder requirement) {
        return DockerFixtures.spec(requirement.build(), IsolationLevel.CONTAINER);
    }

    @Test
    void aCountAsksForThatManyDevicesWithTheGpuCapability() {
        List<DeviceRequest> requests = GpuRequests.of(spec(EnvironmentRequirement.builder().gpus(2)), DEFAULTS, "runc",
                WITH_TOOLKIT);
        assertThat(requests).singleElement().satisfies(r -> {
            assertThat(r.getDriver()).isEqualTo("nvidia");
            assertThat(r.getCount()).isEqualTo(2);
            assertThat(r.getCapabilities()).containsExactly(List.of("gpu"));
            assertThat(r.getDeviceIds()).isNull();
        });
    }

    @Test
    void namedDevicesAreAskedForByIndexOrUuid() {
        List<DeviceRequest> requests = GpuRequests.of(spec(EnvironmentRequirement.builder().gpus(2)
                .option("gpu-devices", "0, GPU-8c5e2f0b-1d2a-4c3e-9f4b-0a1b2c3d4e5f")), DEFAULTS, "runc", WITH_TOOLKIT);
        assertThat(requests).singleElement().satisfies(r -> {
            assertThat(r.getDeviceIds()).containsExactly("0", "GPU-8c5e2f0b-1d2a-4c3e-9f4b-0a1b2c3d4e5f");
            assertThat(r.getCount()).isNull();
        });

        assertThatThrownBy(() -> GpuRequests.of(spec(EnvironmentRequirement.builder().gpus(1)
                .option("gpu-devices", "0;rm -rf /")), DEFAULTS, "runc", WITH_TOOLKIT))
                .isInstanceOf(StagecraftException.class)
                .hasMessage("option gpu-devices: '0;rm -rf /' is not a comma-separated list of GPU indexes or UUIDs (0,1 or GPU-...)");
        assertThatThrownBy(() -> GpuRequests.of(spec(EnvironmentRequirement.builder().gpus(1)
                .option("gpu-devices", "0,1")), DEFAULTS, "runc", WITH_TOOLKIT))
                .hasMessage("option gpu-devices names 2 device(s) but 1 GPU(s) are asked for");
    }

    @Test
    void gVisorGetsNoGpu() {
        EnvironmentSpec spec = spec(EnvironmentRequirement.builder().gpus(1));
        assertThatThrownBy(() -> GpuRequests.of(spec, DEFAULTS, "runsc", WITH_TOOLKIT))
                .isInstanceOf(ProvisioningException.class)
                .hasMessageStartingWith("environment '" + spec.id() + "': GPUs are attached to runc containers only");
    }

    @Test
    void thisEngineWithoutTheToolkitOffersNoGpusAndRefusesInOneLine() {
        try (DockerProvider provider = DockerFixtures.provider(stateDir)) {
            BackendRequirement.require(provider);
            assertThat(provider.describe().gpu()).as("the build machines' Engine has no nvidia runtime").isFalse();
            assertThat(provider.probe().details().get("gpus")).isEqualTo(
                    "none: no 'nvidia' runtime (the NVIDIA Container Toolkit registers it)");

            EnvironmentSpec spec = spec(EnvironmentRequirement.builder().gpus(1));
            assertThatThrownBy(() -> provider.create(spec))
                    .isInstanceOf(ProvisioningException.class)
                    .satisfies(e -> assertThat(((StagecraftException) e).code()).isEqualTo(ErrorCode.PROVISIONING_FAILED))
                    .hasMessageStartingWith("environment '" + spec.id() + "': the Docker Engine has no NVIDIA runtime 'nvidia'"
                            + " (it lists [")
                    .hasMessageEndingWith("); install the NVIDIA Container Toolkit and run `nvidia-ctk runtime configure"
                            + " --runtime=docker`, or use the gpu provider")
                    .hasMessageNotContaining("\n");
            assertThat(DockerFixtures.client(provider).listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(Labels.ENVIRONMENT_ID, spec.id())).exec()).isEmpty();
        }
    }
}
