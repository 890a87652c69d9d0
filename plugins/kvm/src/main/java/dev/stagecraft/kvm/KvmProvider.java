package dev.stagecraft.kvm;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The {@code kvm} provider: a libvirt domain per environment, booted straight into a kernel + initramfs whose init
 * runs the QEMU guest agent, with no network interface unless configured. Domain type {@code kvm} where KVM works,
 * {@code qemu} (TCG) otherwise; {@link #describe()} and {@link #probe()} say which.
 */
public final class KvmProvider implements EnvironmentProvider {
    public static final String KIND = "kvm";
    /** Written by scripts/setup.d/30-kvm.sh after booting a test guest under KVM: "kvm ..." or "qemu ...". */
    static final String ACCEL_VERDICT = "accel.verdict";
    static final Duration SEED_STARTUP = Duration.ofSeconds(30);

    private KvmSettings settings = KvmSettings.from(Settings.empty("providers.kvm"));
    private String owner = "stagecraft";
    private Libvirt libvirt;
    private volatile String domainType;
    private volatile String domainTypeReason = "";
    private volatile Duration measuredBoot;
    private volatile Path bootRecord;

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
        return new ProviderCapabilities(KIND, Set.of(IsolationLevel.VM), startup, efficiency, 0.0, false,
                !settings.network().isEmpty(), persistent,
                new Resources(settings.maxVcpus(), settings.maxMemoryBytes(), persistent ? workspaceBytes() : 0, 0));
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

    @Override
    public ProviderHealth probe() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("uri", settings.uri());
        String capabilities;
        try {
            Connect connect = libvirt().connection();
            details.put("libvirt", version(connect.getLibVersion()));
            details.put("hypervisor", version(connect.getVersion()));
            capabilities = connect.getCapabilities();
        } catch (LibvirtException | RuntimeException | LinkageError e) {
            String why = e instanceof LibvirtException ? Libvirt.message((LibvirtException) e) : e.toString();
            return ProviderHealth.unavailable("libvirtd is not reachable at " + settings.uri() + ": " + why,
                    List.of("apt-get install libvirt-daemon-system qemu-system-x86 (or run scripts/install-deps.sh)",
                            "start the daemons: virtlogd -d && libvirtd -d (or systemctl start libvirtd)",
                            "check: virsh -c " + settings.uri() + " version"), details);
        }
        String type;
        try {
            type = resolveDomainType(capabilities);
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("apt-get install qemu-system-x86",
                    "set providers.kvm.domain-type to auto or qemu"), details);
        }
        details.put("domain-type", type);
        details.put("domain-type-reason", domainTypeReason);
        details.put("kernel", settings.kernel().toString());
        details.put("initramfs", settings.initramfs().toString());
        details.put("workspace", workspaceDescription());
        if (measuredBoot != null) {
            details.put("boot-to-ready", measuredBoot.toMillis() + "ms");
        }
        List<String> missing = new ArrayList<>();
        for (Path image : List.of(settings.kernel(), settings.initramfs())) {
            if (!Files.isRegularFile(image) || !Files.isReadable(image)) {
                missing.add(image.toString());
            }
        }
        if (!missing.isEmpty()) {
            return ProviderHealth.unavailable("guest image missing: " + String.join(", ", missing),
                    List.of("build it: bash scripts/build-guest.sh (as root; part of scripts/install-deps.sh)",
                            "or point providers.kvm.kernel / providers.kvm.initramfs at a kernel and an initramfs that run qemu-ga"),
                    details);
        }
        String workspace = workspaceUnavailableReason().map(why -> "; workspace in RAM (" + why + ")").orElse("");
        return ProviderHealth.available("libvirt " + details.get("libvirt") + ", domain type " + type
                + " (" + domainTypeReason + ")" + workspace, details);
    }

    private static String version(long v) {
        return (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000);
    }

    private String domainTypeOrNull() {
        if (domainType != null) {
            return domainType;
        }
        try {
            return resolveDomainType(libvirt().connection().getCapabilities());
        } catch (LibvirtException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static final Pattern GUEST = Pattern.compile("<guest>(.*?)</guest>", Pattern.DOTALL);

    /** kvm where libvirt offers it for x86_64 and the setup's boot test did not find it broken; qemu otherwise. */
    String resolveDomainType(String capabilities) {
        boolean qemuOffered = false;
        boolean kvmOffered = false;
        Matcher guests = GUEST.matcher(capabilities);
        while (guests.find()) {
            String guest = guests.group(1);
            if (guest.contains("<arch name='x86_64'>") && guest.contains("<os_type>hvm</os_type>")) {
                qemuOffered |= guest.contains("<domain type='qemu'");
                kvmOffered |= guest.contains("<domain type='kvm'");
            }
        }
        String type;
        String reason;
        switch (settings.domainType()) {
            case "kvm":
                if (!kvmOffered) {
                    throw new StagecraftException(dev.stagecraft.api.ErrorCode.PROVIDER_UNAVAILABLE,
                            "providers.kvm.domain-type is kvm but libvirt offers no kvm domains on this host (no usable /dev/kvm)");
                }
                type = "kvm";
                reason = "configured";
                break;
            case "qemu":
                type = "qemu";
                reason = "configured (TCG)";
                break;
            default:
                if (!kvmOffered) {
                    type = "qemu";
                    reason = "TCG: libvirt offers no kvm domain type here (no usable /dev/kvm)";
                } else {
                    Optional<String> verdict = accelVerdict();
                    if (verdict.isPresent() && verdict.get().startsWith("qemu")) {
                        type = "qemu";
                        reason = "TCG: /dev/kvm is present but a test guest did not boot under it ("
                                + settings.imageDirectory().resolve(ACCEL_VERDICT) + ")";
                    } else {
                        type = "kvm";
                        reason = verdict.isPresent() ? "KVM, verified by booting a test guest" : "KVM offered by libvirt";
                    }
                }
        }
        if (type.equals("qemu") && !qemuOffered) {
            throw new StagecraftException(dev.stagecraft.api.ErrorCode.PROVIDER_UNAVAILABLE,
                    "libvirt offers no x86_64 qemu domain type (is qemu-system-x86 installed?)");
        }
        domainType = type;
        domainTypeReason = reason;
        return type;
    }

    private Optional<String> accelVerdict() {
        try {
            String text = Files.readString(settings.imageDirectory().resolve(ACCEL_VERDICT), StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The domain type environments get: {@code kvm} or {@code qemu}. */
    public String domainType() {
        String type = domainTypeOrNull();
        if (type == null) {
            throw new StagecraftException(dev.stagecraft.api.ErrorCode.PROVIDER_UNAVAILABLE,
                    "libvirtd is not reachable at " + settings.uri());
        }
        return type;
    }

    /** How long the last successful boot took from domain start to guest-ping, if one was measured. */
    public Optional<Duration> measuredBootToReady() {
        return Optional.ofNullable(measuredBoot);
    }

    /** Everything create decides before touching libvirt, from the spec and the settings. */
    private record Plan(String name, String type, Labels labels, Optional<Path> serialLog, boolean networked,
                        Optional<Path> overlay, String xml) {
    }

    private Plan plan(EnvironmentSpec spec) {
        EnvironmentRequirement requirement = spec.requirement();
        if (requirement.gpu()) {
            throw StagecraftException.invalidRequirement("the kvm provider cannot attach GPUs");
        }
        if (requirement.network() && settings.network().isEmpty()) {
            throw StagecraftException.invalidRequirement("network access was asked for, but providers.kvm.network"
                    + " (a libvirt network name) is not configured: kvm VMs get no network interface");
        }
        Resources wanted = requirement.resources();
        int vcpus = wanted.cpus() > 0 ? (int) Math.ceil(wanted.cpus()) : settings.vcpus();
        long memory = wanted.memoryBytes() > 0 ? wanted.memoryBytes() : settings.memoryBytes();
        if (vcpus > settings.maxVcpus() || memory > settings.maxMemoryBytes()) {
            throw StagecraftException.invalidRequirement("VM of " + vcpus + " vCPUs and " + (memory >> 20)
                    + " MiB is over this provider's ceiling (" + settings.maxVcpus() + " vCPUs, "
                    + (settings.maxMemoryBytes() >> 20) + " MiB)");
        }
        String type = domainType();
        Labels labels = spec.labels().get(Labels.KIND).isPresent() ? spec.labels() : spec.labels().with(Labels.KIND, KIND);
        if (!labels.isStagecraft()) {
            labels = labels.with(Labels.OWNER, owner).with(Labels.ENVIRONMENT_ID, spec.id());
        }
        String name = DomainXml.domainName(spec.id());
        Optional<Path> serialLog = serialLogFor(name);
        boolean networked = requirement.network() && !settings.network().isEmpty();
        Optional<Path> overlay = workspaceUnavailableReason().isEmpty()
                ? Optional.of(WorkspaceOverlay.pathFor(settings.overlayDirectory(), name)) : Optional.empty();
        if (requirement.persistentStorage() && overlay.isEmpty()) {
            throw StagecraftException.invalidRequirement("a persistent workspace was asked for, but " + workspaceDescription());
        }
        return new Plan(name, type, labels, serialLog, networked, overlay,
                domainXml(name, type, memory, vcpus, labels, serialLog, networked, overlay));
    }

    /**
     * The domain XML {@link #create} defines for this spec (the workspace overlay it names is made by create), for
     * comparisons against plain {@code virsh create} of the same domain.
     */
    public String domainXml(EnvironmentSpec spec) {
        return plan(spec).xml();
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        Plan plan = plan(spec);
        String name = plan.name();
        String type = plan.type();
        Optional<Path> serialLog = plan.serialLog();
        Optional<Path> overlay = plan.overlay();
        String xml = plan.xml();
        KvmEnvironment env = new KvmEnvironment(this, spec.id(), plan.labels(), serialLog, plan.networked(), overlay);
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
            overlay.ifPresent(file -> WorkspaceOverlay.create(settings.workspaceImage(), file));
            long started = System.nanoTime();
            domain.create();
            awaitReady(domain, env, started);
            env.sampleBaseline();
            return env;
        } catch (LibvirtException | RuntimeException e) {
            String why = e instanceof LibvirtException ? Libvirt.message((LibvirtException) e) : e.getMessage();
            String tail = serialTail(serialLog);
            try {
                env.destroy();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new ProvisioningException("VM " + name + " (type " + type + ") did not become ready: " + why + tail
                    + ("kvm".equals(type) ? " (if KVM is broken on this host, set providers.kvm.domain-type: qemu)" : ""), e);
        }
    }

    /**
     * The domain XML this provider defines for an environment: the one {@link #create} uses, and what a benchmark
     * hands to {@code virsh create} to compare against.
     */
    String domainXml(String name, String type, long memory, int vcpus, Labels labels, Optional<Path> serialLog,
                     boolean networked, Optional<Path> overlay) {
        return DomainXml.build(new DomainXml.Definition(name, type, memory, vcpus, settings.kernel(),
                settings.initramfs(), settings.kernelArguments(), settings.machine(), labels, serialLog,
                networked ? settings.network() : "", overlay));
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

    private Optional<Path> serialLogFor(String name) {
        Path dir = settings.logDirectory();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return Files.isWritable(dir) ? Optional.of(dir.resolve(name + ".log")) : Optional.empty();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The last lines of a VM's serial console, to explain a failed boot. */
    String serialTail(Optional<Path> log) {
        if (log.isEmpty() || !Files.isReadable(log.get())) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(log.get(), StandardCharsets.ISO_8859_1);
            List<String> tail = lines.subList(Math.max(0, lines.size() - 15), lines.size());
            return tail.isEmpty() ? "" : "; serial console (" + log.get() + "):\n  " + String.join("\n  ", tail);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        List<ExecutionEnvironment> found = new ArrayList<>();
        // overlays are listed before the domains: create defines a domain before making its overlay, so an overlay
        // seen here whose domain is missing from the later listing has no domain that could still use it
        List<Path> overlays = WorkspaceOverlay.list(settings.overlayDirectory());
        try {
            Connect connect = libvirt().connection();
            Set<String> names = new LinkedHashSet<>();
            for (int domainId : connect.listDomains()) {
                try {
                    names.add(connect.domainLookupByID(domainId).getName());
                } catch (LibvirtException e) {
                    // it went away between the listing and the lookup
                }
            }
            for (String name : connect.listDefinedDomains()) {
                names.add(name);
            }
            for (Path overlay : overlays) {
                if (!names.contains(WorkspaceOverlay.domainOf(overlay)) && libvirt().lookup(WorkspaceOverlay.domainOf(overlay)).isEmpty()) {
                    WorkspaceOverlay.delete(overlay);
                }
            }
            for (String name : names) {
                if (!name.startsWith(DomainXml.NAME_PREFIX)) {
                    continue;
                }
                try {
                    Optional<Domain> domain = libvirt().lookup(name);
                    if (domain.isEmpty()) {
                        continue;
                    }
                    String xml = domain.get().getXMLDesc(0);
                    Labels labels = DomainXml.labels(xml);
                    if (!labels.isStagecraft() || !name.equals(DomainXml.domainName(labels.environmentId()))) {
                        continue;
                    }
                    KvmEnvironment env = new KvmEnvironment(this, labels.environmentId(), labels,
                            DomainXml.serialLog(xml), DomainXml.hasInterface(xml), DomainXml.workspaceDisk(xml));
                    env.sampleBaseline();
                    found.add(env);
                } catch (LibvirtException | IllegalArgumentException e) {
                    // undefined meanwhile, or not readable as ours: not listed
                }
            }
        } catch (LibvirtException e) {
            throw new StagecraftException(dev.stagecraft.api.ErrorCode.PROVIDER_UNAVAILABLE,
                    "cannot list VMs at " + settings.uri() + ": " + Libvirt.message(e), e);
        }
        return found;
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
