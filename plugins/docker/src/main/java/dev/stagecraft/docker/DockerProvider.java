package dev.stagecraft.docker;

import com.github.dockerjava.api.model.Version;
import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Containers on a Docker Engine, through docker-java. The spec's isolation class picks the runtime: runc for
 * {@link IsolationLevel#CONTAINER}, gVisor's runsc for {@link IsolationLevel#USER_KERNEL} (offered only while the
 * Engine lists it). Every container and volume carries the spec's labels; {@link #discover()} rebuilds environments
 * from them, so nothing depends on this process's memory.
 *
 * <p>Hardening of every container: read-only root, a size-limited tmpfs /tmp, the workspace a labelled named volume
 * at /workspace, uid/gid 1000, all capabilities dropped (a tool type may add back named ones), no-new-privileges,
 * network none unless the requirement asks (then held to its egress policy by {@code ContainerFirewall}), memory (no
 * swap), CPU and pids limits, a /dev/shm the size of /tmp, the nofile and fsize ulimits (and nproc with runsc),
 * docker-init as PID 1. A requirement's disk size is held where the Engine can size volumes ({@code DiskQuota}), else
 * refused.
 *
 * <p>Commands run through an exec agent, the container's main process, over the container's attach stream
 * ({@link AgentLink}); an Engine exec per command is the fallback ({@link CommandRunner}).
 */
public final class DockerProvider implements EnvironmentProvider {
    public static final String KIND = "docker";
    /** The holder label the manager writes for a leased environment ({@code host/pid/start-millis}). */
    static final String HOLDER_LABEL = Labels.PREFIX + "holder";
    private static final Duration INFO_TTL = Duration.ofSeconds(10);

    private volatile DockerSettings settings;
    private volatile Engine engine;
    private volatile EngineInfo info;
    private volatile AgentLocks locks;
    private volatile Path stateDirectory;
    /** Why this Engine cannot hold a disk size ("" when it can); null until tried ({@link DiskQuota}). */
    private volatile String noDiskLimit;
    private final ExecutorService workers = Executors.newCachedThreadPool(daemon("stagecraft-docker-worker"));
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, daemon("stagecraft-docker-timer"));
    private final LabelledContainers labelled = new LabelledContainers(workers, timers);

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
        this.locks = new AgentLocks(context.stateDirectory().resolve("agent-locks"));
        this.stateDirectory = context.stateDirectory();
        this.info = null;
        this.noDiskLimit = null;
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

    /** Why a disk size cannot be held here, or null when it can; asks the Engine once, again at each probe(). */
    String noDiskLimit() {
        String known = noDiskLimit;
        if (known == null) {
            known = Objects.requireNonNullElse(DiskQuota.unavailable(engine(), settings(), info()), "");
            noDiskLimit = known;
        }
        return known.isEmpty() ? null : known;
    }

    private boolean diskLimit() {
        try {
            return noDiskLimit() == null;
        } catch (RuntimeException unreachable) {
            return false;
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
        boolean gpus = i != null && i.runtimes().containsKey(s.gpuRuntime());
        return new ProviderCapabilities(KIND, levels, s.startupEstimate(), s.executionEfficiency(), s.costPerHour(),
                gpus, true, true, ceiling, egressControl(s), i != null && diskLimit());
    }

    /**
     * Address rules in each runc container's own namespace where they can be loaded: the host and private ranges
     * denied, an address allowlist held, host names not. One value for the kind: a networked gVisor container is
     * refused at create (see {@code ContainerCreation}), so whatever network it gives is runc's.
     */
    private static EgressControl egressControl(DockerSettings s) {
        return ContainerFirewall.unavailable(s) == null ? new EgressControl(true, true, false) : EgressControl.NONE;
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
            noDiskLimit = null;
            noDiskLimit();
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
        String noEgressRules = ContainerFirewall.unavailable(s);
        details.put("egress", noEgressRules == null ? "nftables rules in each networked container's namespace"
                : "not enforced, so networked requirements go elsewhere: " + noEgressRules);
        String noDisk = noDiskLimit();
        details.put("disk", noDisk == null ? "the workspace volume, /tmp, /dev/shm (and a writable root layer) held to the"
                + " requirement's disk size" : "not enforced, so requirements with a disk size go elsewhere: " + noDisk);
        details.put("cgroup-driver", i.cgroupDriver());
        details.put("gpus", i.runtimes().containsKey(s.gpuRuntime()) ? "through the '" + s.gpuRuntime() + "' runtime"
                : "none: no '" + s.gpuRuntime() + "' runtime (the NVIDIA Container Toolkit registers it)");
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
        if (noEgressRules != null) {
            // Available without network; doctor says why networked requirements pass it by.
            return new ProviderHealth(true, reason + "; networked containers cannot be held to an egress policy ("
                    + noEgressRules + ")", List.of("run stagecraft as root next to a local Engine, with nftables and"
                    + " util-linux installed (scripts/setup.d/20-docker.sh)"), details);
        }
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
    public Resources limitsFor(EnvironmentRequirement requirement) {
        return settings().limitsFor(requirement);
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        DockerEnvironment env = ContainerCreation.create(spec, settings(), engine(), this::info, this::noDiskLimit,
                stateDirectory, workers, timers, locks);
        labelled.remember(env);
        return env;
    }

    /** Every environment of this kind that the Engine holds, from the labels (see {@code LabelledContainers}). */
    @Override
    public List<ExecutionEnvironment> discover() {
        return labelled.discover(settings(), engine(), locks);
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
