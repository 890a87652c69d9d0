package dev.stagecraft.docker;

import com.github.dockerjava.api.model.DeviceRequest;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.StagecraftException;
import java.util.Arrays;
import java.util.List;

/**
 * The GPUs of one container, as {@code docker run --gpus} asks for them: a device request for the {@code gpu}
 * capability with a count ({@code --gpus N}) or, with the requirement option {@code gpu-devices} (indexes or UUIDs,
 * comma-separated), those devices. The NVIDIA Container Toolkit on the Engine's host serves it; an Engine without its
 * runtime gets a one-line refusal instead of a container that silently has no GPU.
 */
final class GpuRequests {
    static final String OPTION = "gpu-devices";
    private static final String DRIVER = "nvidia";

    private GpuRequests() {
    }

    /** The device requests for {@code spec}'s GPUs; refuses what this Engine or isolation class cannot serve. */
    static List<DeviceRequest> of(EnvironmentSpec spec, DockerSettings s, String runtime, EngineInfo engine) {
        String id = spec.id();
        if (runtime.equals(s.userKernelRuntime())) {
            throw new ProvisioningException("environment '" + id + "': GPUs are attached to runc containers only (gVisor"
                    + " passes GPUs through only with nvproxy, not set up here); ask for security medium or use the gpu provider");
        }
        if (!engine.runtimes().containsKey(s.gpuRuntime())) {
            throw new ProvisioningException("environment '" + id + "': the Docker Engine has no NVIDIA runtime '"
                    + s.gpuRuntime() + "' (it lists " + engine.runtimes().keySet() + "); install the NVIDIA Container"
                    + " Toolkit and run `nvidia-ctk runtime configure --runtime=docker`, or use the gpu provider");
        }
        int count = spec.requirement().resources().gpus();
        DeviceRequest request = new DeviceRequest().withDriver(DRIVER).withCapabilities(List.of(List.of("gpu")));
        String devices = spec.requirement().options().get(OPTION);
        if (devices == null) {
            return List.of(request.withCount(count));
        }
        List<String> ids = Arrays.stream(devices.split(",")).map(String::trim).toList();
        if (ids.stream().anyMatch(d -> !d.matches("[0-9]{1,3}|GPU-[0-9a-fA-F-]{8,64}|MIG-[0-9a-fA-F-]{8,64}"))) {
            throw StagecraftException.invalidRequirement("option " + OPTION + ": '" + devices + "' is not a"
                    + " comma-separated list of GPU indexes or UUIDs (0,1 or GPU-...)");
        }
        if (ids.size() != count) {
            throw StagecraftException.invalidRequirement("option " + OPTION + " names " + ids.size() + " device(s) but "
                    + count + " GPU(s) are asked for");
        }
        return List.of(request.withDeviceIds(ids));
    }
}
