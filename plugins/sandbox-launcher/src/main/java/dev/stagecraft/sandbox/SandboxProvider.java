package dev.stagecraft.sandbox;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EgressPolicy;
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
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The native Linux sandbox: bubblewrap namespaces (user, mount, PID, network, IPC, UTS, cgroup), all capabilities
 * dropped, no-new-privileges, uid 1000 inside, a read-only /usr, a private /tmp, and a cgroup per environment
 * (memory, pids, cpu; v1 or v2) that every command joins before bubblewrap starts.
 *
 * <p>State lives in {@code <stateDir>/envs/<id>/} (see {@link EnvironmentDirectory}); {@link #discover()} scans
 * it, so a fresh provider instance adopts what an earlier process made. Each command is its own bubblewrap
 * process tree, so environments cost nothing while idle.
 *
 * <p>This class is the launcher library's engine: the sandbox plugin registers it as the {@code sandbox} kind; another
 * kind (the gpu plugin's) makes one with its own kind name, which names its labels, its settings section
 * ({@code providers.<kind>}) and its environments, and with {@link SandboxAdditions} for what each environment gets
 * beyond the sandbox's mounts.
 */
public class SandboxProvider implements EnvironmentProvider {
    public static final String KIND = "sandbox";
    private static final long MIN_DISK = 8L << 20;

    private final String kind;
    private final SandboxAdditions additions;

    private volatile SandboxSettings settings;
    private volatile Path stateDir;
    private volatile CgroupHierarchy cgroups;
    private volatile SpareCgroups spares;
    private final Map<String, SandboxEnvironment> known = new ConcurrentHashMap<>();

    public SandboxProvider() {
        this(KIND, SandboxAdditions.NONE);
    }

    /** The engine under another kind's name, adding {@code additions} to each of its environments. */
    public SandboxProvider(String kind, SandboxAdditions additions) {
        this.kind = java.util.Objects.requireNonNull(kind, "kind is null");
        this.additions = java.util.Objects.requireNonNull(additions, "additions is null");
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public void initialize(ProviderContext context) {
        SandboxSettings parsed = SandboxSettings.from(context.settings());
        boolean direct = !parsed.launcher().equals(SandboxSettings.SHELL) && NativeSpawn.available();
        if (parsed.launcher().equals(SandboxSettings.DIRECT) && !direct) {
            throw context.settings().invalid("launcher", "direct needs glibc 2.34 or later (posix_spawn with closefrom);"
                    + " use auto or shell");
        }
        parsed = parsed.withLauncher(direct ? SandboxSettings.DIRECT : SandboxSettings.SHELL)
                .withNetwork(NetworkTools.resolved(parsed.network()));
        this.settings = parsed.bwrap().contains("/") ? parsed : parsed.withBwrap(Probe.findOnPath(parsed.bwrap()));
        this.stateDir = context.stateDirectory();
        this.cgroups = CgroupHierarchy.detect(parsed.cgroupRoot(), parsed.cgroupParent());
        this.spares = new SpareCgroups(cgroups);
        if (cgroups.usable()) {
            spares.removeLeftovers();
        }
    }

    /** Removes the spare cgroups this provider kept; environments stay (another manager may adopt them). */
    @Override
    public void close() {
        SpareCgroups s = spares;
        if (s != null) {
            s.removeAll();
        }
    }

    private SandboxSettings settings() {
        SandboxSettings s = settings;
        if (s == null) {
            initialize(new ProviderContext("stagecraft", Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-" + kind),
                    Settings.empty("providers." + kind)));
            s = settings;
        }
        return s;
    }

    @Override
    public ProviderCapabilities describe() {
        SandboxSettings s = settings();
        return new ProviderCapabilities(kind, EnumSet.of(IsolationLevel.CONTAINER), s.startupEstimate(),
                s.executionEfficiency(), s.costPerHour(), false, true, false,
                new Resources(Runtime.getRuntime().availableProcessors(), Probe.hostMemoryBytes(), 0, 0),
                NetworkTools.missing(s) == null ? new EgressControl(true, true, true) : EgressControl.NONE,
                DiskVolume.missing() == null);
    }

    @Override
    public ProviderHealth probe() {
        return Probe.run(settings(), cgroups, stateDir);
    }

    /** The requirement's memory and CPUs, or {@code providers.sandbox.memory} and {@code cpus} where it names none. */
    @Override
    public Resources limitsFor(EnvironmentRequirement requirement) {
        SandboxSettings s = settings();
        Resources wanted = requirement.resources();
        return wanted.orElse(new Resources(s.cpus(), s.memoryBytes(), 0, 0));
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        SandboxSettings s = settings();
        if (!cgroups.usable()) {
            throw new ProvisioningException("sandbox '" + spec.id() + "': no usable cgroup hierarchy under "
                    + s.cgroupRoot() + " (cgroup " + cgroups.version() + ", controllers " + cgroups.controllers()
                    + "); memory and pids controllers are required");
        }
        EnvironmentRequirement requirement = spec.requirement();
        refuseBeyondContainerClass(spec);
        if (requirement.network()) {
            refuseUnheldNetwork(spec, s);
        }
        try {
            SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        } catch (IOException | LinkageError | RuntimeException e) {
            throw new ProvisioningException("sandbox '" + spec.id() + "': cannot compile the seccomp filter with libseccomp ("
                    + e.getMessage() + "); install libseccomp2 (apt-get install libseccomp2)", e);
        }
        Resources held = limitsFor(requirement);
        Limits limits = new Limits(held.memoryBytes(), held.cpus(), s.pids(), held.diskBytes());
        if (limits.diskBytes() > 0) {
            String missing = DiskVolume.missing();
            if (missing != null) {
                throw new ProvisioningException("sandbox '" + spec.id() + "': a disk size was asked for, but " + missing);
            }
            if (limits.diskBytes() < MIN_DISK) {
                throw new ProvisioningException("sandbox '" + spec.id() + "': a disk of "
                        + dev.stagecraft.api.Quantities.formatBytes(limits.diskBytes()) + " is too small (at least 8m)");
            }
        }
        Labels labels = spec.labels().with(Labels.KIND, kind);
        EnvironmentDirectory directory = new EnvironmentDirectory(envsDir().resolve(spec.id()));
        EnvironmentCgroup cgroup = cgroups.forEnvironment(spec.id());
        try {
            makeEnvironmentDir(directory.dir());
        } catch (FileAlreadyExistsException e) {
            throw new ProvisioningException("sandbox '" + spec.id() + "' already exists in " + directory.dir());
        } catch (IOException e) {
            throw new ProvisioningException("cannot create sandbox '" + spec.id() + "': " + e.getMessage(), e);
        }
        try {
            if (limits.diskBytes() > 0) {
                DiskVolume.create(directory, limits.diskBytes());
            } else {
                Files.createDirectory(directory.workspace(), Probe.ownerOnly());
                Files.createDirectory(directory.home(), Probe.ownerOnly());
            }
            spares.make(cgroup, limits);
            directory.writeConfig(limits, requirement.network(), requirement.egress(), spec.isolation());
            directory.writeLabels(labels);
        } catch (IOException | RuntimeException e) {
            cleanUpFailedCreate(directory, cgroup);
            throw new ProvisioningException("cannot create sandbox '" + spec.id() + "': " + e.getMessage(), e);
        }
        SandboxEnvironment env = new SandboxEnvironment(spec.id(), labels, spec.isolation(), directory, limits,
                requirement.network(), requirement.egress(), cgroup, spares, s, stateDir, false, () -> known.remove(spec.id()))
                .as(kind, additions);
        known.put(spec.id(), env);
        env.prepareFirstCommand();
        return env;
    }

    /**
     * The sandbox is container-class isolation: it shares the host's kernel. Code trusted less than that (security
     * level high or critical, or an isolation class above container) belongs in gVisor or a VM, so the sandbox
     * refuses it even when asked directly, whatever the selection pipeline was configured to allow.
     */
    private static void refuseBeyondContainerClass(EnvironmentSpec spec) {
        SecurityLevel level = spec.requirement().securityLevel();
        if (level == SecurityLevel.HIGH || level == SecurityLevel.CRITICAL) {
            throw new ProvisioningException("sandbox '" + spec.id() + "': security level " + level.label()
                    + " needs isolation stronger than a namespace sandbox sharing the host's kernel (high: user-kernel, "
                    + "e.g. gVisor; critical: vm); the sandbox serves low and medium only");
        }
        if (spec.isolation().atLeast(IsolationLevel.USER_KERNEL)) {
            throw new ProvisioningException("sandbox '" + spec.id() + "': isolation " + spec.isolation().label()
                    + " was asked for; the sandbox offers container-class isolation only");
        }
    }

    /** A networked sandbox needs its tools and the direct launcher. */
    private static void refuseUnheldNetwork(EnvironmentSpec spec, SandboxSettings s) {
        String missing = NetworkTools.missing(s);
        if (missing != null) {
            throw new ProvisioningException("sandbox '" + spec.id() + "': network was asked for, but " + missing);
        }
    }

    private static void cleanUpFailedCreate(EnvironmentDirectory directory, EnvironmentCgroup cgroup) {
        try {
            DiskVolume.remove(directory);
        } catch (IOException | RuntimeException ignored) {
            // best effort, as below
        }
        try {
            cgroup.remove(java.time.Duration.ofSeconds(2));
        } catch (IOException | RuntimeException ignored) {
            // best effort: the create failed already and says why
        }
        try {
            directory.delete();
        } catch (IOException ignored) {
            // best effort, as above
        }
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        settings();
        List<ExecutionEnvironment> found = new ArrayList<>();
        if (!Files.isDirectory(envsDir())) {
            return found;
        }
        try (Stream<Path> dirs = Files.list(envsDir())) {
            for (Path dir : dirs.sorted().toList()) {
                SandboxEnvironment env = adopt(new EnvironmentDirectory(dir));
                if (env != null) {
                    found.add(env);
                }
            }
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot list sandboxes in " + envsDir() + ": " + e.getMessage(), e);
        }
        known.keySet().removeIf(id -> !new EnvironmentDirectory(envsDir().resolve(id)).exists());
        return found;
    }

    private SandboxEnvironment adopt(EnvironmentDirectory directory) {
        String id = directory.dir().getFileName().toString();
        SandboxEnvironment existing = known.get(id);
        if (existing != null && !existing.destroyedOrGone()) {
            return existing;
        }
        if (!directory.exists() || Files.isSymbolicLink(directory.dir())) {
            return null;
        }
        try {
            Labels labels = directory.readLabels();
            if (!labels.isStagecraft() || !labels.environmentId().equals(id)) {
                return null;
            }
            Map<String, String> config = directory.readConfig();
            SandboxSettings s = settings();
            Limits limits = new Limits(Long.parseLong(config.getOrDefault("memory-bytes", Long.toString(s.memoryBytes()))),
                    Double.parseDouble(config.getOrDefault("cpus", Double.toString(s.cpus()))),
                    Long.parseLong(config.getOrDefault("pids", Long.toString(s.pids()))),
                    Long.parseLong(config.getOrDefault("disk-bytes", "0")));
            IsolationLevel isolation = IsolationLevel.parse(config.getOrDefault("isolation", "container"));
            boolean network = Boolean.parseBoolean(config.getOrDefault("network", "false"));
            String allowed = config.getOrDefault("allow-cidrs", "");
            EgressPolicy egress = new EgressPolicy(List.of(), allowed.isEmpty() ? List.of() : List.of(allowed.split(",")));
            SandboxEnvironment env = new SandboxEnvironment(id, labels, isolation, directory, limits, network, egress,
                    cgroups.forEnvironment(id), spares, s, stateDir, directory.stopped(), () -> known.remove(id))
                    .as(kind, additions);
            SandboxEnvironment raced = known.putIfAbsent(id, env);
            if (raced != null && !raced.destroyedOrGone()) {
                return raced;
            }
            known.put(id, env);
            return env;
        } catch (IOException | RuntimeException e) {
            return null; // half-made or half-removed: not an environment (yet, or any more)
        }
    }

    /** Makes {@code dir} under {@link #envsDir}, making that too the first time (or when someone removed it). */
    private void makeEnvironmentDir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, Probe.ownerOnly());
        } catch (NoSuchFileException e) {
            Files.createDirectories(envsDir());
            Files.createDirectory(dir, Probe.ownerOnly());
        }
    }

    Path envsDir() {
        return stateDir.resolve("envs");
    }

    CgroupHierarchy cgroups() {
        return cgroups;
    }

    SpareCgroups spares() {
        return spares;
    }
}
