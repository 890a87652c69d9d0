package dev.stagecraft.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.StagecraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Makes one environment for {@link DockerProvider#create(EnvironmentSpec)}: checks the spec against the Engine
 * (runtime, image, memory), creates the labelled workspace volume and the hardened container, starts it and waits
 * until it is ready; on any failure removes what it made and throws one line naming the image and runtime.
 */
final class ContainerCreation {
    private ContainerCreation() {
    }

    static DockerEnvironment create(EnvironmentSpec spec, DockerSettings s, Engine e, Supplier<EngineInfo> info,
                                    ExecutorService workers, ScheduledExecutorService timers) {
        EnvironmentRequirement r = spec.requirement();
        String id = spec.id();
        if (r.gpu()) {
            throw new ProvisioningException("environment '" + id + "': the docker provider does not attach GPUs yet"
                    + " (the gpu provider will); ask for gpus: 0 or use another provider");
        }
        String runtime = runtimeFor(spec, s);
        EngineInfo i;
        try {
            i = info.get();
        } catch (StagecraftException ex) {
            throw new ProvisioningException("environment '" + id + "': " + ex.getMessage(), ex);
        }
        if (!i.runtimes().containsKey(runtime)) {
            throw new ProvisioningException("environment '" + id + "': the Docker Engine has no runtime '" + runtime
                    + "' for isolation " + spec.isolation().label() + " (it lists " + i.runtimes().keySet() + "); "
                    + (runtime.equals(s.userKernelRuntime()) ? DockerProvider.registerRunscRemedy() : "set providers.docker.runtimes"));
        }
        if (r.network() && runtime.equals(s.userKernelRuntime()) && i.runtimes().get(runtime).contains("--network=none")) {
            throw new ProvisioningException("environment '" + id + "': network access was asked for, but the Engine's '"
                    + runtime + "' runtime is registered with --network=none; use isolation container (runc) or register "
                    + runtime + " without --network=none");
        }
        String toolType = r.toolType();
        String image = r.options().getOrDefault("image", s.imageFor(toolType, false));
        if (!DockerSettings.validImage(image)) {
            throw StagecraftException.invalidRequirement("option image: '" + image + "' is not an image reference such as python:3.11-slim");
        }
        EngineImages.ensureImage(e, s, image, toolType, id);

        DockerSettings.Limit limit = s.limitFor(toolType);
        long memory = r.resources().memoryBytes() > 0 ? r.resources().memoryBytes() : limit.memoryBytes();
        double cpus = r.resources().cpus() > 0 ? r.resources().cpus() : limit.cpus();
        if (memory < (6L << 20)) {
            throw StagecraftException.invalidRequirement("memory " + Quantities.formatBytes(memory)
                    + " is below the Docker Engine's minimum of 6m");
        }
        Labels labels = spec.labels().with(Labels.KIND, DockerProvider.KIND);
        String volume = DockerEnvironment.containerName(id) + "-workspace";
        Map<String, String> containerLabels = new TreeMap<>(labels.values());
        containerLabels.put(DockerEnvironment.ISOLATION_LABEL, spec.isolation().label());
        containerLabels.put(DockerEnvironment.VOLUME_LABEL, volume);

        String name = DockerEnvironment.containerName(id);
        DockerEnvironment env = null;
        try {
            e.run(ErrorCode.PROVISIONING_FAILED, "cannot create volume " + volume, () -> e.client().createVolumeCmd()
                    .withName(volume).withDriver("local").withLabels(new TreeMap<>(containerLabels)).exec());
            HostConfig host = hostConfig(s, runtime, memory, cpus, volume, r.network(), toolType);
            String containerId = e.call(ErrorCode.PROVISIONING_FAILED, "cannot create container " + name, () -> {
                CreateContainerCmd cmd = e.client().createContainerCmd(image)
                        .withName(name)
                        .withHostName(id)
                        .withLabels(containerLabels)
                        .withUser(s.user())
                        .withWorkingDir(WorkspaceArchive.WORKSPACE)
                        .withEntrypoint(s.initCommand())
                        .withEnv(List.of())
                        .withStopTimeout((int) s.stopTimeout().toSeconds())
                        .withHostConfig(host);
                return cmd.exec().getId();
            });
            env = new DockerEnvironment(id, containerId, volume, labels, spec.isolation(), e, s, workers, timers);
            e.run(ErrorCode.PROVISIONING_FAILED, "cannot start container " + name, () -> e.client().startContainerCmd(containerId).exec());
            env.awaitReady(true);
            env.ensureWritableWorkspace();
        } catch (RuntimeException ex) {
            try {
                ContainerRemoval.removeContainerAndVolume(e, name, volume);
            } catch (RuntimeException cleanup) {
                ex.addSuppressed(cleanup);
            }
            String message = ex instanceof StagecraftException ? ex.getMessage() : Engine.oneLine(String.valueOf(ex.getMessage()));
            throw new ProvisioningException("cannot create environment '" + id + "' (image " + image + ", runtime " + runtime
                    + "): " + message, ex);
        }
        return env;
    }

    /** The host side of the hardening that {@link DockerProvider} lists, with the spec's limits and network. */
    private static HostConfig hostConfig(DockerSettings s, String runtime, long memory, double cpus, String volume,
                                         boolean network, String toolType) {
        HostConfig host = HostConfig.newHostConfig()
                .withRuntime(runtime)
                .withMemory(memory).withMemorySwap(memory)
                .withNanoCPUs(Math.max(1_000_000L, Math.round(cpus * 1e9)))
                .withPidsLimit(runtime.equals(s.userKernelRuntime()) ? s.userKernelPids() : s.pids())
                .withReadonlyRootfs(s.readOnlyRoot())
                .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,size=" + s.tmpSizeBytes()))
                .withShmSize(s.tmpSizeBytes())
                .withUlimits(ulimits(s, runtime))
                .withMounts(List.of(new Mount().withType(MountType.VOLUME).withSource(volume)
                        .withTarget(WorkspaceArchive.WORKSPACE)))
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withNetworkMode(network ? "bridge" : "none")
                .withInit(true);
        List<String> caps = s.capabilitiesFor(toolType);
        if (!caps.isEmpty()) {
            host.withCapAdd(caps.stream().map(Capability::valueOf).toArray(Capability[]::new));
        }
        return host;
    }

    /**
     * Open files and file size for every container. A runsc container also gets RLIMIT_NPROC at the pids limit: its
     * cgroup's pids limit bounds gVisor's own threads, not the code's processes, which gVisor's kernel counts against
     * RLIMIT_NPROC instead (per uid inside the sandbox). Under runc RLIMIT_NPROC would count every process of uid
     * 1000 on the host, so there the cgroup's pids limit does the job.
     */
    private static List<Ulimit> ulimits(DockerSettings s, String runtime) {
        List<Ulimit> ulimits = new ArrayList<>(List.of(new Ulimit("nofile", s.openFiles(), s.openFiles()),
                new Ulimit("fsize", s.fileSizeBytes(), s.fileSizeBytes())));
        if (runtime.equals(s.userKernelRuntime())) {
            ulimits.add(new Ulimit("nproc", s.pids(), s.pids()));
        }
        return ulimits;
    }

    private static String runtimeFor(EnvironmentSpec spec, DockerSettings s) {
        switch (spec.isolation()) {
            case PROCESS:
            case CONTAINER:
                return s.runcRuntime();
            case USER_KERNEL:
                return s.userKernelRuntime();
            default:
                throw new ProvisioningException("environment '" + spec.id() + "': isolation " + spec.isolation().label()
                        + " was asked for; the docker provider offers container (runc) and user-kernel (gVisor runsc)");
        }
    }
}
