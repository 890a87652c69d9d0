package dev.stagecraft.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.Driver;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.VolumeOptions;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Makes one environment for {@link DockerProvider#create(EnvironmentSpec)}: checks the spec against the Engine
 * (runtime, memory), creates the hardened container with its labelled workspace volume (the image is looked for only
 * when the Engine says it is missing), attaches to the exec agent, starts the container and waits until the agent
 * answers; on any failure removes what it made and throws one line naming the image and runtime. No Engine exec runs
 * on this path unless the image has no writable /workspace.
 */
final class ContainerCreation {
    private ContainerCreation() {
    }

    static DockerEnvironment create(EnvironmentSpec spec, DockerSettings s, Engine e, Supplier<EngineInfo> info,
                                    Supplier<String> noDiskLimit, Path stateDirectory, ExecutorService workers, ScheduledExecutorService timers, AgentLocks locks) {
        EnvironmentRequirement r = spec.requirement();
        String id = spec.id();
        String runtime = runtimeFor(spec, s);
        EngineInfo i;
        try {
            i = info.get();
        } catch (StagecraftException ex) {
            throw new ProvisioningException("environment '" + id + "': " + ex.getMessage(), ex);
        }
        List<DeviceRequest> gpus = List.of();
        if (r.gpu()) {
            gpus = GpuRequests.of(spec, s, runtime, i);
            runtime = s.gpuRuntime();
        }
        if (!i.runtimes().containsKey(runtime)) {
            throw new ProvisioningException("environment '" + id + "': the Docker Engine has no runtime '" + runtime
                    + "' for isolation " + spec.isolation().label() + " (it lists " + i.runtimes().keySet() + "); "
                    + (runtime.equals(s.userKernelRuntime()) ? DockerProvider.registerRunscRemedy() : "set providers.docker.runtimes"));
        }
        if (r.network()) {
            refuseUnheldEgress(spec, s, runtime, i);
        }
        String toolType = r.toolType();
        String image = r.options().getOrDefault("image", s.imageFor(toolType, r.gpu()));
        if (!DockerSettings.validImage(image)) {
            throw StagecraftException.invalidRequirement("option image: '" + image + "' is not an image reference such as python:3.11-slim");
        }

        Resources held = s.limitsFor(r);
        long memory = held.memoryBytes();
        double cpus = held.cpus();
        if (memory < (6L << 20)) {
            throw StagecraftException.invalidRequirement("memory " + Quantities.formatBytes(memory)
                    + " is below the Docker Engine's minimum of 6m");
        }
        long disk = r.resources().diskBytes();
        if (disk > 0) {
            refuseUnheldDisk(id, disk, noDiskLimit);
        }
        Labels labels = spec.labels().with(Labels.KIND, DockerProvider.KIND);
        String volume = DockerEnvironment.containerName(id) + "-workspace";
        Map<String, String> containerLabels = new TreeMap<>(labels.values());
        containerLabels.put(DockerEnvironment.ISOLATION_LABEL, spec.isolation().label());
        containerLabels.put(DockerEnvironment.VOLUME_LABEL, volume);
        boolean agent = s.agent();
        if (agent) {
            containerLabels.put(DockerEnvironment.AGENT_LABEL, s.path());
        }
        if (r.network()) {
            containerLabels.put(ContainerFirewall.LABEL, ContainerFirewall.label(r.egress()));
        }

        String name = DockerEnvironment.containerName(id);
        DockerEnvironment env = null;
        try {
            // The Engine creates the labelled workspace volume with the container, from the mount's volume options: one
            // call fewer than creating it first.
            Optional<Path> hosts = r.network() ? Optional.empty() : OfflineHosts.file(stateDirectory, s);
            HostConfig host = hostConfig(s, runtime, new Sizes(memory, cpus, disk), volume, new TreeMap<>(containerLabels),
                    hosts, r.network(), toolType).withDeviceRequests(gpus);
            Supplier<String> createContainer = () -> {
                CreateContainerCmd cmd = e.client().createContainerCmd(image)
                        .withName(name)
                        .withHostName(id)
                        .withLabels(containerLabels)
                        .withUser(s.user())
                        .withWorkingDir(WorkspaceArchive.WORKSPACE)
                        .withEntrypoint(agent ? AgentScript.entrypoint(s.path()) : s.initCommand())
                        // The agent reads its requests from stdin, which stays open across attaches; no TTY, so
                        // stdout and stderr come back apart.
                        .withStdinOpen(agent)
                        .withStdInOnce(false)
                        .withTty(false)
                        .withEnv(List.of())
                        // Without a network, no network at all for the Engine either: the container still gets a
                        // namespace of its own with only loopback, but no libnetwork sandbox and no setkey hook (a
                        // re-exec of dockerd) on start, which is some 40% of a cold start.
                        .withNetworkDisabled(!r.network())
                        .withStopTimeout((int) s.stopTimeout().toSeconds())
                        .withHostConfig(host);
                return cmd.exec().getId();
            };
            String containerId;
            try {
                containerId = e.call(ErrorCode.PROVISIONING_FAILED, "cannot create container " + name, createContainer);
            } catch (StagecraftException missing) {
                if (missing.code() != ErrorCode.NOT_FOUND) {
                    throw missing;
                }
                // The Engine has no such image (asking first would cost every create a call): pull it when configured
                // to, or say in one line how to get it there; then once more.
                EngineImages.ensureImage(e, s, image, toolType, id);
                containerId = e.call(ErrorCode.PROVISIONING_FAILED, "cannot create container " + name, createContainer);
            }
            env = new DockerEnvironment(id, containerId, volume, labels, spec.isolation(), agent ? s.path() : null, e, s,
                    workers, timers, locks);
            env.egress(r.network() ? r.egress() : null);
            AgentLink.Ping ping = null;
            if (agent) {
                // Attached and pinged before the start: the agent reads the ping as soon as it runs.
                env.agent().attach();
                ping = env.agent().sendPing();
            }
            String made = containerId;
            e.run(ErrorCode.PROVISIONING_FAILED, "cannot start container " + name, () -> e.client().startContainerCmd(made).exec());
            env.loadEgressRules();
            env.awaitReady(true, ping);
            if (!agent) {
                env.ensureWritableWorkspace();
            }
        } catch (RuntimeException ex) {
            try {
                ContainerRemoval.removeContainerAndVolume(e, name, volume);
            } catch (RuntimeException cleanup) {
                ex.addSuppressed(cleanup);
            }
            if (env != null) {
                env.agent().close();
            }
            String message = ex instanceof StagecraftException ? ex.getMessage() : Engine.oneLine(String.valueOf(ex.getMessage()));
            throw new ProvisioningException("cannot create environment '" + id + "' (image " + image + ", runtime " + runtime
                    + "): " + message, ex);
        }
        return env;
    }

    /**
     * Refuses a networked container whose egress policy this provider cannot hold: an allowlist of host names (no
     * name filtering here), a gVisor runtime (registered with --network=none it has no network; with its own netstack
     * its packets leave past the namespace's nftables rules), or no way to load rules ({@link ContainerFirewall}).
     */
    private static void refuseUnheldEgress(EnvironmentSpec spec, DockerSettings s, String runtime, EngineInfo i) {
        String id = spec.id();
        if (runtime.equals(s.userKernelRuntime())) {
            if (i.runtimes().get(runtime).contains("--network=none")) {
                throw new ProvisioningException("environment '" + id + "': network access was asked for, but the Engine's '"
                        + runtime + "' runtime is registered with --network=none; use isolation container (runc)");
            }
            throw new ProvisioningException("environment '" + id + "': network access was asked for, but the '" + runtime
                    + "' runtime's own network stack sends past the egress rules; use isolation container (runc)");
        }
        List<String> hosts = spec.requirement().egress().allowHosts();
        if (!hosts.isEmpty()) {
            throw new ProvisioningException("environment '" + id + "': the docker provider cannot limit connections to host"
                    + " names (" + String.join(", ", hosts) + "); allow address ranges instead, or use a kind that filters names");
        }
        String unavailable = ContainerFirewall.unavailable(s);
        if (unavailable != null) {
            throw new ProvisioningException("environment '" + id + "': network access was asked for, but its egress policy"
                    + " cannot be held: " + unavailable);
        }
    }

    /** A disk size that this Engine cannot hold is refused, not ignored (selection has dropped docker for it already). */
    private static void refuseUnheldDisk(String id, long disk, Supplier<String> noDiskLimit) {
        String why;
        try {
            why = noDiskLimit.get();
        } catch (StagecraftException ex) {
            throw new ProvisioningException("environment '" + id + "': " + ex.getMessage(), ex);
        }
        if (why != null) {
            throw new ProvisioningException("environment '" + id + "': a disk size of " + Quantities.formatBytes(disk)
                    + " was asked for, but this Docker Engine cannot hold it: " + why);
        }
    }

    /** The container's limits: memory and disk in bytes (disk 0: none asked), CPUs. */
    record Sizes(long memoryBytes, double cpus, long diskBytes) {
        /** /tmp and /dev/shm: the configured size, or the disk size when that is smaller. */
        long tmpBytes(DockerSettings s) {
            return diskBytes > 0 ? Math.min(s.tmpSizeBytes(), diskBytes) : s.tmpSizeBytes();
        }

        /** The fsize ulimit: a file can be as large as the disk asked for, else the configured size. */
        long fileBytes(DockerSettings s) {
            return diskBytes > 0 ? diskBytes : s.fileSizeBytes();
        }
    }

    /**
     * The host side of the hardening that {@link DockerProvider} lists, with the spec's limits and network. A disk size
     * caps the workspace volume (the local driver's size option), /tmp and /dev/shm, and a writable root layer. A
     * container without network gets {@code offlineHosts} at /etc/hosts ({@link OfflineHosts}); one with network
     * gets Docker's.
     */
    static HostConfig hostConfig(DockerSettings s, String runtime, Sizes sizes, String volume,
                                 Map<String, String> volumeLabels, Optional<Path> offlineHosts, boolean network, String toolType) {
        Driver local = new Driver().withName("local");
        if (sizes.diskBytes() > 0) {
            local.withOptions(Map.of("size", String.valueOf(sizes.diskBytes())));
        }
        long tmp = sizes.tmpBytes(s);
        HostConfig host = HostConfig.newHostConfig()
                .withRuntime(runtime)
                .withMemory(sizes.memoryBytes()).withMemorySwap(sizes.memoryBytes())
                .withNanoCPUs(Math.max(1_000_000L, Math.round(sizes.cpus() * 1e9)))
                .withPidsLimit(runtime.equals(s.userKernelRuntime()) ? s.userKernelPids() : s.pids())
                .withReadonlyRootfs(s.readOnlyRoot())
                .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,size=" + tmp))
                .withShmSize(tmp)
                .withUlimits(ulimits(s, runtime, sizes.fileBytes(s)))
                .withMounts(mounts(volume, volumeLabels, local, offlineHosts))
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withNetworkMode(network ? "bridge" : "none")
                // Whatever a command prints reaches the agent's stdout, which would otherwise fill the Engine's log
                // files on this host: no logging (attach streams work without it).
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE))
                .withInit(true);
        if (sizes.diskBytes() > 0 && !s.readOnlyRoot()) {
            host.withStorageOpt(Map.of("size", String.valueOf(sizes.diskBytes())));
        }
        List<String> caps = s.capabilitiesFor(toolType);
        if (!caps.isEmpty()) {
            host.withCapAdd(caps.stream().map(Capability::valueOf).toArray(Capability[]::new));
        }
        return host;
    }

    private static List<Mount> mounts(String volume, Map<String, String> volumeLabels, Driver local, Optional<Path> offlineHosts) {
        List<Mount> mounts = new ArrayList<>(List.of(new Mount().withType(MountType.VOLUME).withSource(volume)
                .withTarget(WorkspaceArchive.WORKSPACE)
                .withVolumeOptions(new VolumeOptions().withLabels(volumeLabels).withDriverConfig(local))));
        offlineHosts.ifPresent(file -> mounts.add(new Mount().withType(MountType.BIND).withSource(file.toString())
                .withTarget(OfflineHosts.TARGET).withReadOnly(true)));
        return mounts;
    }

    /**
     * Open files and file size for every container. A runsc container also gets RLIMIT_NPROC at the pids limit: its
     * cgroup's pids limit bounds gVisor's own threads, not the code's processes, which gVisor's kernel counts against
     * RLIMIT_NPROC instead (per uid inside the sandbox). Under runc RLIMIT_NPROC would count every process of uid
     * 1000 on the host, so there the cgroup's pids limit does the job.
     */
    private static List<Ulimit> ulimits(DockerSettings s, String runtime, long fileBytes) {
        List<Ulimit> ulimits = new ArrayList<>(List.of(new Ulimit("nofile", s.openFiles(), s.openFiles()),
                new Ulimit("fsize", fileBytes, fileBytes)));
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
