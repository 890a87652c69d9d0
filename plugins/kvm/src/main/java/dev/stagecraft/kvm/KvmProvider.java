package dev.stagecraft.kvm;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The {@code kvm} provider: a libvirt domain per environment, booted straight into a kernel + initramfs whose init
 * runs the QEMU guest agent, with no network interface unless configured. Domain type {@code kvm} where KVM works,
 * {@code qemu} (TCG) otherwise; {@link #describe()} and {@link #probe()} say which.
 */
public final class KvmProvider implements EnvironmentProvider {
    public static final String KIND = "kvm";
    static final Duration SEED_STARTUP = Duration.ofSeconds(30);

    private KvmSettings settings = KvmSettings.from(Settings.empty("providers.kvm"));
    private String owner = "stagecraft";
    private Libvirt libvirt;
    private volatile Acceleration acceleration;
    private volatile Duration measuredBoot;
    private volatile Path bootRecord;
    private volatile String snapshotProblem;

    public KvmProvider() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        KvmSettings parsed = KvmSettings.from(context.settings());
        if (parsed.maxOutputBytes() > 1_400_000L || parsed.maxOutputBytes() < 1) {
            throw context.settings().invalid("max-output", parsed.maxOutputBytes()
                    + " bytes is out of range: libvirt carries at most 4 MiB per agent reply, so at most 1400000 per stream");
        }
        settings = parsed;
        owner = context.owner();
        bootRecord = context.stateDirectory().resolve("boot-to-ready.ms");
        measuredBoot = readBootRecord(bootRecord).orElse(null);
        closeLibvirt();
    }

    /** The last measured boot, kept in the state folder so a fresh process (one CLI call) estimates honestly. */
    private static Optional<Duration> readBootRecord(Path file) {
        try {
            return Optional.of(Duration.ofMillis(Long.parseLong(Files.readString(file).trim())));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void writeBootRecord(Duration boot) {
        if (bootRecord == null) {
            return;
        }
        try {
            Path partial = bootRecord.resolveSibling(bootRecord.getFileName() + "." + ProcessHandle.current().pid());
            Files.writeString(partial, Long.toString(boot.toMillis()));
            Files.move(partial, bootRecord, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // only an estimate: the next boot tries again
        }
    }

    KvmSettings settings() {
        return settings;
    }

    /** Who the environments this provider labels belong to. */
    String owner() {
        return owner;
    }

    synchronized Libvirt libvirt() {
        if (libvirt == null) {
            libvirt = new Libvirt(settings.uri());
        }
        return libvirt;
    }

    @Override
    public ProviderCapabilities describe() {
        String type = domainTypeOrNull();
        Duration startup = settings.startupEstimate().orElseGet(() -> measuredBoot != null ? measuredBoot : SEED_STARTUP);
        int efficiency = settings.executionEfficiency().orElse("qemu".equals(type) ? 3 : 9);
        boolean persistent = workspaceUnavailableReason().isEmpty();
        boolean sized = persistent && SizedWorkspaceBase.unavailableReason().isEmpty();
        long disk = sized ? settings.maxWorkspaceBytes() : persistent ? workspaceBytes() : 0;
        return new ProviderCapabilities(KIND, Set.of(IsolationLevel.VM), startup, efficiency, 0.0, false,
                !settings.network().isEmpty(), persistent, new Resources(settings.maxVcpus(), settings.maxMemoryBytes(), disk, 0),
                EgressControl.NONE, sized);
    }

    /**
     * Why environments get their workspace in RAM (lost at stop) rather than on a copy-on-write overlay of the base
     * workspace image; empty when they get the overlay.
     */
    Optional<String> workspaceUnavailableReason() {
        return WorkspaceOverlay.unavailableReason(settings.workspaceImage(), settings.overlayDirectory());
    }

    /** The size of the workspace filesystem (the base image's virtual size), 0 when unknown. */
    private long workspaceBytes() {
        try {
            return WorkspaceOverlay.virtualSize(settings.workspaceImage());
        } catch (IOException e) {
            return 0;
        }
    }

    /** What probe() and describe() say about the workspace. */
    String workspaceDescription() {
        Optional<String> why = workspaceUnavailableReason();
        return why.map(reason -> "RAM, lost when the VM stops: " + reason)
                .orElseGet(() -> "disk, kept across stop and start: a copy-on-write overlay of "
                        + settings.workspaceImage() + " per environment in " + settings.overlayDirectory());
    }

    /** What probe() says about --disk: the workspace sizes it gives, or why it gives none. */
    String diskDescription() {
        Optional<String> why = workspaceUnavailableReason().or(SizedWorkspaceBase::unavailableReason);
        return why.map(reason -> "not enforced, so requirements with a disk size go elsewhere: " + reason)
                .orElseGet(() -> "the workspace disk and its filesystem are the requirement's size ("
                        + Quantities.formatBytes(SizedWorkspaceBase.MIN_BYTES) + " to "
                        + Quantities.formatBytes(settings.maxWorkspaceBytes()) + ")");
    }

    @Override
    public ProviderHealth probe() {
        return KvmProbe.probe(this);
    }

    private String domainTypeOrNull() {
        Acceleration known = acceleration;
        if (known != null) {
            return known.domainType();
        }
        try {
            return resolveAcceleration(libvirt().connection().getCapabilities()).domainType();
        } catch (LibvirtException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Decides the domain type from libvirt's capabilities and keeps it for describe() and create. */
    Acceleration resolveAcceleration(String capabilities) {
        Acceleration decided = Acceleration.decide(capabilities, settings);
        acceleration = decided;
        return decided;
    }

    /** The domain type environments get: {@code kvm} or {@code qemu}. */
    public String domainType() {
        String type = domainTypeOrNull();
        if (type == null) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE,
                    "libvirtd is not reachable at " + settings.uri());
        }
        return type;
    }

    /** Why the last environment that could have been restored from a boot snapshot was booted instead. */
    void snapshotProblem(String problem) {
        snapshotProblem = problem;
    }

    Optional<String> snapshotProblem() {
        return Optional.ofNullable(snapshotProblem);
    }

    /** How long the last successful boot took from domain start to guest-ping, if one was measured. */
    public Optional<Duration> measuredBootToReady() {
        return Optional.ofNullable(measuredBoot);
    }

    /**
     * The domain XML {@link #create} defines for this spec (the workspace overlay it names is made by create), for
     * comparisons against plain {@code virsh create} of the same domain.
     */
    public String domainXml(EnvironmentSpec spec) {
        return DomainPlan.of(spec, this).xml();
    }

    /** The VM's size: vCPUs and memory, the guest's own share included (see {@code DomainPlan}). */
    @Override
    public Resources limitsFor(EnvironmentRequirement requirement) {
        return DomainPlan.size(requirement.resources(), settings);
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        DomainPlan plan = DomainPlan.of(spec, this);
        String name = plan.name();
        String type = plan.type();
        Optional<Path> serialLog = plan.serialLog();
        Optional<Path> overlay = plan.overlay();
        String xml = plan.xml();
        KvmEnvironment env = new KvmEnvironment(this, spec.id(), plan.labels(), serialLog, plan.networked(), overlay,
                plan.limits());
        Domain domain;
        try {
            if (libvirt().lookup(name).isPresent()) {
                throw new ProvisioningException("a libvirt domain named " + name + " already exists");
            }
            // the domain first, then its overlay: an overlay file without a domain is then always an orphan
            domain = libvirt().connection().domainDefineXML(xml);
        } catch (LibvirtException e) {
            throw new ProvisioningException("cannot define " + name + " at " + settings.uri() + ": " + Libvirt.message(e)
                    + Libvirt.unreachableHint(e, settings.uri()), e);
        }
        try {
            // 0: no disk size asked, the base's own size
            Path base = plan.workspaceBytes() > 0
                    ? SizedWorkspaceBase.of(settings.workspaceImage(), plan.workspaceBytes(), settings.overlayDirectory())
                    : settings.workspaceImage();
            Optional<BootSnapshot> snapshot = BootSnapshot.forPlan(plan, base, this);
            if (snapshot.isPresent() && SnapshotRestore.restore(this, snapshot.get(), domain, plan, env, base)) {
                return env;
            }
            overlay.ifPresent(file -> WorkspaceOverlay.create(base, file));
            long started = System.nanoTime();
            domain.create();
            awaitReady(domain, env, started);
            return env;
        } catch (LibvirtException | RuntimeException e) {
            String why = e instanceof LibvirtException ? Libvirt.message((LibvirtException) e) : e.getMessage();
            String tail = SerialConsole.tail(serialLog);
            try {
                env.destroy();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new ProvisioningException("VM " + name + " (type " + type + ") did not become ready: " + why + tail
                    + ("kvm".equals(type) ? " (if KVM is broken on this host, set providers.kvm.domain-type: qemu)" : ""), e);
        }
    }

    /** Polls guest-ping until the agent answers; fails fast when the domain stops (kernel panic, bad image). */
    void awaitReady(Domain domain, KvmEnvironment env, long startedNanos) throws LibvirtException {
        GuestAgent agent = new GuestAgent(domain, env.id());
        long end = startedNanos + settings.bootTimeout().toNanos();
        while (!agent.ping()) {
            if (domain.isActive() != 1) {
                throw new ProvisioningException("the VM stopped while booting");
            }
            if (System.nanoTime() - end > 0) {
                throw new ProvisioningException("the guest agent did not answer guest-ping within "
                        + settings.bootTimeout() + " (providers.kvm.boot-timeout)");
            }
            LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
        }
        measuredBoot = Duration.ofNanos(System.nanoTime() - startedNanos);
        writeBootRecord(measuredBoot);
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        return LabelledDomains.discover(this);
    }

    @Override
    public void close() {
        closeLibvirt();
    }

    private synchronized void closeLibvirt() {
        if (libvirt != null) {
            libvirt.close();
            libvirt = null;
        }
    }
}
