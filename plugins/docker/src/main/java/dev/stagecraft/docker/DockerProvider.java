package dev.stagecraft.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Version;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Containers on a Docker Engine, through docker-java. The spec's isolation class picks the runtime: runc for
 * {@link IsolationLevel#CONTAINER}, gVisor's runsc for {@link IsolationLevel#USER_KERNEL} (offered only while the
 * Engine lists it). Every container and volume carries the spec's labels; {@link #discover()} rebuilds environments
 * from them, so nothing depends on this process's memory.
 *
 * <p>Hardening of every container: read-only root, a size-limited tmpfs /tmp, the workspace a labelled named volume
 * at /workspace, uid/gid 1000, all capabilities dropped (a tool type may add back named ones), no-new-privileges,
 * network none unless the requirement asks, memory (no swap), CPU and pids limits, a /dev/shm the size of /tmp, the
 * nofile and fsize ulimits (and nproc with runsc), docker-init as PID 1.
 */
public final class DockerProvider implements EnvironmentProvider {
    public static final String KIND = "docker";
    private static final Duration INFO_TTL = Duration.ofSeconds(10);

    private volatile DockerSettings settings;
    private volatile Engine engine;
    private volatile EngineInfo info;
    private final Map<String, DockerEnvironment> known = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(daemon("stagecraft-docker-worker"));
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, daemon("stagecraft-docker-timer"));

    public DockerProvider() {
        timers.setRemoveOnCancelPolicy(true);
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        DockerSettings parsed = DockerSettings.from(context.settings());
        Engine old = engine;
        this.settings = parsed;
        this.engine = new Engine(parsed);
        this.info = null;
        if (old != null) {
            old.close();
        }
    }

    private DockerSettings settings() {
        if (settings == null) {
            synchronized (this) {
                if (settings == null) {
                    initialize(new ProviderContext("stagecraft", Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-docker"),
                            Settings.empty("providers.docker")));
                }
            }
        }
        return settings;
    }

    private Engine engine() {
        settings();
        return engine;
    }

    /** The Engine client, for tests that inspect what was made. */
    Engine engineForTests() {
        return engine();
    }

    EngineInfo info() {
        EngineInfo cached = info;
        if (cached != null && Duration.between(cached.readAt(), Instant.now()).compareTo(INFO_TTL) < 0) {
            return cached;
        }
        EngineInfo fresh = EngineInfo.parse(engine().getText("/info", 16 << 20), Instant.now());
        info = fresh;
        return fresh;
    }

    private EngineInfo infoOrNull() {
        try {
            return info();
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public ProviderCapabilities describe() {
        DockerSettings s = settings();
        EnumSet<IsolationLevel> levels = EnumSet.of(IsolationLevel.CONTAINER);
        EngineInfo i = infoOrNull();
        Resources ceiling = Resources.NONE;
        if (i != null) {
            if (i.runtimes().containsKey(s.userKernelRuntime())) {
                levels.add(IsolationLevel.USER_KERNEL);
            }
            ceiling = new Resources(i.cpus(), i.memoryBytes(), 0, 0);
        }
        return new ProviderCapabilities(KIND, levels, s.startupEstimate(), s.executionEfficiency(), s.costPerHour(),
                false, true, true, ceiling);
    }

    @Override
    public ProviderHealth probe() {
        DockerSettings s;
        try {
            s = settings();
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("fix the configuration key it names"), Map.of());
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("host", s.host().toString());
        if ("unix".equals(s.host().getScheme()) && !java.nio.file.Files.exists(Path.of(s.host().getPath()))) {
            return ProviderHealth.unavailable("no Docker Engine socket at " + s.host().getPath(),
                    List.of("apt-get install docker.io", "start dockerd (dockerd >/var/log/dockerd.log 2>&1 &, or systemctl start docker)",
                            "or set providers.docker.host to the Engine's address"), details);
        }
        Version version;
        EngineInfo i;
        try {
            version = engine().client().versionCmd().exec();
            info = null;
            i = info();
        } catch (RuntimeException e) {
            return ProviderHealth.unavailable(engine().unreachableMessage(e),
                    List.of("start dockerd (dockerd >/var/log/dockerd.log 2>&1 &, or systemctl start docker)",
                            "check that this user may use " + s.host() + " (root, or the docker group)"), details);
        }
        details.put("engine", String.valueOf(version.getVersion()));
        details.put("api-version", String.valueOf(version.getApiVersion()));
        details.put("runtimes", String.join(",", i.runtimes().keySet()));
        details.put("default-runtime", i.defaultRuntime());
        details.put("storage-driver", i.storageDriver());
        details.put("cgroup-driver", i.cgroupDriver());
        List<String> userKernelArgs = i.runtimes().get(s.userKernelRuntime());
        if (userKernelArgs != null) {
            details.put(s.userKernelRuntime() + "-args", String.join(" ", userKernelArgs));
        }
        if (!i.runtimes().containsKey(s.runcRuntime())) {
            return ProviderHealth.unavailable("the Docker Engine " + version.getVersion() + " has no runtime '" + s.runcRuntime()
                    + "' (it lists " + i.runtimes().keySet() + ")", List.of("set providers.docker.runtimes.container to one of "
                    + i.runtimes().keySet()), details);
        }
        String reason = "Docker Engine " + version.getVersion() + " (API " + version.getApiVersion() + ") at " + s.host()
                + ", runtimes " + i.runtimes().keySet();
        if (userKernelArgs == null) {
            // Available for the container class; doctor shows how to add the user-kernel class.
            return new ProviderHealth(true, reason + "; no '" + s.userKernelRuntime() + "' runtime, so no user-kernel isolation",
                    List.of(registerRunscRemedy()), details);
        }
        return ProviderHealth.available(reason, details);
    }

    static String registerRunscRemedy() {
        return "register gVisor: apt-get install runsc, add {\"runtimes\":{\"runsc\":{\"path\":\"/usr/bin/runsc\","
                + "\"runtimeArgs\":[\"--network=none\"]}}} to /etc/docker/daemon.json, then kill -HUP $(cat /var/run/docker.pid)"
                + " (or run scripts/install-deps.sh)";
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        DockerSettings s = settings();
        Engine e = engine();
        EnvironmentRequirement r = spec.requirement();
        String id = spec.id();
        if (r.gpu()) {
            throw new ProvisioningException("environment '" + id + "': the docker provider does not attach GPUs yet"
                    + " (the gpu provider will); ask for gpus: 0 or use another provider");
        }
        String runtime = runtimeFor(spec, s);
        EngineInfo i;
        try {
            i = info();
        } catch (StagecraftException ex) {
            throw new ProvisioningException("environment '" + id + "': " + ex.getMessage(), ex);
        }
        if (!i.runtimes().containsKey(runtime)) {
            throw new ProvisioningException("environment '" + id + "': the Docker Engine has no runtime '" + runtime
                    + "' for isolation " + spec.isolation().label() + " (it lists " + i.runtimes().keySet() + "); "
                    + (runtime.equals(s.userKernelRuntime()) ? registerRunscRemedy() : "set providers.docker.runtimes"));
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
        ensureImage(e, s, image, toolType, id);

        DockerSettings.Limit limit = s.limitFor(toolType);
        long memory = r.resources().memoryBytes() > 0 ? r.resources().memoryBytes() : limit.memoryBytes();
        double cpus = r.resources().cpus() > 0 ? r.resources().cpus() : limit.cpus();
        if (memory < (6L << 20)) {
            throw StagecraftException.invalidRequirement("memory " + Quantities.formatBytes(memory)
                    + " is below the Docker Engine's minimum of 6m");
        }
        Labels labels = spec.labels().with(Labels.KIND, KIND);
        String volume = DockerEnvironment.containerName(id) + "-workspace";
        Map<String, String> containerLabels = new TreeMap<>(labels.values());
        containerLabels.put(DockerEnvironment.ISOLATION_LABEL, spec.isolation().label());
        containerLabels.put(DockerEnvironment.VOLUME_LABEL, volume);

        String name = DockerEnvironment.containerName(id);
        DockerEnvironment env = null;
        try {
            e.run(ErrorCode.PROVISIONING_FAILED, "cannot create volume " + volume, () -> e.client().createVolumeCmd()
                    .withName(volume).withDriver("local").withLabels(new TreeMap<>(containerLabels)).exec());
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
                    .withNetworkMode(r.network() ? "bridge" : "none")
                    .withInit(true);
            List<String> caps = s.capabilitiesFor(toolType);
            if (!caps.isEmpty()) {
                host.withCapAdd(caps.stream().map(Capability::valueOf).toArray(Capability[]::new));
            }
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
        known.put(id, env);
        return env;
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

    /** The image is on the Engine, pulled when configured to, or a one-line error saying how to get it there. */
    private static void ensureImage(Engine e, DockerSettings s, String image, String toolType, String id) {
        try {
            e.client().inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException missing) {
            // below
        } catch (RuntimeException ex) {
            throw new ProvisioningException("environment '" + id + "': cannot inspect image " + image + ": "
                    + (ex instanceof StagecraftException ? ex.getMessage() : e.unreachableMessage(ex)), ex);
        }
        if (!s.pull()) {
            throw new ProvisioningException("image '" + image + "' (tool type " + toolType + ") is not on the Docker Engine at "
                    + s.host() + " and pulling is off (providers.docker.pull: false; no registry is reachable from this host):"
                    + " build or load it (docker build -t " + image + " ., docker load -i image.tar, or scripts/install-deps.sh"
                    + " for the stagecraft/ test images), or map the tool type to an image that is present"
                    + " (providers.docker.images." + toolType + ", or the requirement's option image)");
        }
        System.err.println("stagecraft docker: pulling " + image + " ...");
        try {
            e.client().pullImageCmd(image).exec(new PullImageResultCallback()).awaitCompletion(30, TimeUnit.MINUTES);
            e.client().inspectImageCmd(image).exec();
            System.err.println("stagecraft docker: pulled " + image);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("environment '" + id + "': interrupted while pulling " + image, ex);
        } catch (RuntimeException ex) {
            throw new ProvisioningException("image '" + image + "' is not on the Docker Engine and pulling it failed: "
                    + Engine.engineMessage(ex.getMessage()) + "; build or load it, or map providers.docker.images." + toolType
                    + " to an image that is present", ex);
        }
    }

    /**
     * Every environment of this kind that the Engine holds, from the labels of its containers (running or not) and of
     * its workspace volumes. A labelled volume without a container (a create that died between the two, or a
     * container removed by hand) is returned as a pseudo-environment when it names a holder process, so the manager's
     * holder rule reaps it (or adopts it while the holder lives: its handle addresses the container by name, so it
     * turns into the real one once that exists); without a holder it is removed here once it is older than
     * {@link DockerSettings#orphanGrace()}, and left alone before (a create may be in progress).
     */
    @Override
    public List<ExecutionEnvironment> discover() {
        DockerSettings s = settings();
        Engine e = engine();
        // Volumes first: a container created between the two listings is then seen with its volume.
        List<InspectVolumeResponse> volumes = e.call(ErrorCode.PROVIDER_UNAVAILABLE, "cannot list volumes", () -> {
            List<InspectVolumeResponse> listed = e.client().listVolumesCmd().withFilter("label", List.of(Labels.OWNER)).exec().getVolumes();
            return listed == null ? List.<InspectVolumeResponse>of() : listed;
        });
        List<Container> containers = e.call(ErrorCode.PROVIDER_UNAVAILABLE, "cannot list containers",
                () -> e.client().listContainersCmd().withShowAll(true).withLabelFilter(List.of(Labels.OWNER)).exec());
        List<ExecutionEnvironment> found = new ArrayList<>();
        Map<String, Boolean> seen = new TreeMap<>();
        Instant now = Instant.now();
        for (Container c : containers) {
            Map<String, String> all = c.getLabels() == null ? Map.of() : c.getLabels();
            String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
            if (!ours(all) || "removing".equals(c.getState())) {
                continue;
            }
            seen.put(id, true);
            if ("created".equals(c.getState()) && !known.containsKey(id)) {
                reapNeverStarted(e, s, c, all, now);
                continue;
            }
            DockerEnvironment existing = known.get(id);
            if (existing != null && existing.containerId().equals(c.getId())) {
                found.add(existing);
                continue;
            }
            DockerEnvironment env = new DockerEnvironment(id, c.getId(), all.getOrDefault(DockerEnvironment.VOLUME_LABEL, ""),
                    DockerEnvironment.publicLabels(all), isolationOf(all), e, s, workers, timers);
            known.put(id, env);
            found.add(env);
        }
        for (InspectVolumeResponse v : volumes) {
            Map<String, String> all = v.getLabels() == null ? Map.of() : v.getLabels();
            String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
            if (!ours(all) || seen.containsKey(id) || v.getName() == null) {
                continue;
            }
            Labels labels = DockerEnvironment.publicLabels(all);
            if (labels.get(HOLDER_LABEL).isPresent()) {
                seen.put(id, true);
                DockerEnvironment existing = known.get(id);
                if (existing != null && existing.containerId().equals(DockerEnvironment.containerName(id))) {
                    found.add(existing);
                    continue;
                }
                DockerEnvironment env = new DockerEnvironment(id, DockerEnvironment.containerName(id), v.getName(), labels,
                        isolationOf(all), e, s, workers, timers);
                known.put(id, env);
                found.add(env);
            } else if (labels.createdAt().plus(s.orphanGrace()).isBefore(now)) {
                try {
                    ContainerRemoval.removeContainerAndVolume(e, DockerEnvironment.containerName(id), v.getName());
                } catch (RuntimeException ignored) {
                    // in use again, or the Engine is busy: the next discover tries again
                }
            }
        }
        known.keySet().removeIf(id -> !seen.containsKey(id));
        return found;
    }

    /**
     * A container that was made but never started (state {@code created}): every create starts its container, and
     * removes it when the start fails, so this is a create that failed on the client side after the Engine had made
     * the container (a timeout, a crash, a lost connection), or one still in progress. It is left alone, and not
     * listed, for {@link DockerSettings#orphanGrace()} after it was made, then removed with its volume.
     */
    private static void reapNeverStarted(Engine e, DockerSettings s, Container c, Map<String, String> all, Instant now) {
        Instant made = Instant.ofEpochSecond(c.getCreated() == null ? 0 : c.getCreated());
        Instant labelled = new Labels(all).createdAt();
        Instant newest = made.isAfter(labelled) ? made : labelled;
        if (newest.plus(s.orphanGrace()).isBefore(now)) {
            try {
                ContainerRemoval.removeContainerAndVolume(e, c.getId(), all.getOrDefault(DockerEnvironment.VOLUME_LABEL, ""));
            } catch (RuntimeException ignored) {
                // started or removed meanwhile, or the Engine is busy: the next discover looks again
            }
        }
    }

    /** The holder label the manager writes for a leased environment ({@code host/pid/start-millis}). */
    static final String HOLDER_LABEL = Labels.PREFIX + "holder";

    /**
     * Labels of a resource of this kind that the manager can read: an owner, a well-formed environment id, and a
     * created-at and TTL that parse (a resource whose labels would not parse is left alone rather than break the
     * manager's reconcile).
     */
    private static boolean ours(Map<String, String> all) {
        String kind = all.getOrDefault(Labels.KIND, KIND);
        String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
        if (!KIND.equals(kind) || !id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            return false;
        }
        Labels labels = new Labels(all);
        if (!labels.isStagecraft()) {
            return false;
        }
        try {
            labels.createdAt();
            labels.ttl();
            return true;
        } catch (RuntimeException unparsable) {
            return false;
        }
    }

    private static IsolationLevel isolationOf(Map<String, String> all) {
        try {
            return IsolationLevel.parse(all.getOrDefault(DockerEnvironment.ISOLATION_LABEL, "container"));
        } catch (StagecraftException ex) {
            return IsolationLevel.CONTAINER;
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
        timers.shutdownNow();
        Engine e = engine;
        if (e != null) {
            e.close();
        }
    }
}
