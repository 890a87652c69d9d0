package dev.stagecraft.kvm;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * One environment: a persistent libvirt domain named {@code stagecraft-<id>} whose metadata carries the labels,
 * and its workspace overlay {@code stagecraft-<id>.qcow2} when it has one. The domain is the only record; this
 * object can be rebuilt from it by {@link KvmProvider#discover()}.
 */
final class KvmEnvironment implements ExecutionEnvironment {
    private final KvmProvider provider;
    private final String id;
    private final String name;
    private final Labels labels;
    private final Optional<Path> serialLog;
    private final boolean networked;
    private final Optional<Path> overlay;
    private final GuestLimits limits;
    private final Object lifecycle = new Object();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean destroyed;
    private volatile boolean stopping;
    private long lastCpuTime = -1;
    private long lastSampleNanos;

    KvmEnvironment(KvmProvider provider, String id, Labels labels, Optional<Path> serialLog, boolean networked,
                   Optional<Path> overlay, GuestLimits limits) {
        this.provider = provider;
        this.id = id;
        this.name = DomainXml.domainName(id);
        this.labels = labels;
        this.serialLog = serialLog;
        this.networked = networked;
        this.overlay = overlay;
        this.limits = limits;
    }

    /** The workspace disk's overlay file, or empty when the workspace is in RAM. */
    Optional<Path> overlay() {
        return overlay;
    }

    String domainName() {
        return name;
    }

    @Override public String id() { return id; }
    @Override public String kind() { return KvmProvider.KIND; }
    @Override public IsolationLevel isolation() { return IsolationLevel.VM; }
    @Override public Labels labels() { return labels; }

    @Override
    public EnvironmentStatus status() {
        if (destroyed) {
            return EnvironmentStatus.STOPPED;
        }
        if (stopping) {
            return EnvironmentStatus.STOPPING;
        }
        try {
            Optional<Domain> domain = provider.libvirt().lookup(name);
            if (domain.isEmpty() || domain.get().isActive() != 1) {
                return EnvironmentStatus.STOPPED;
            }
        } catch (LibvirtException e) {
            return EnvironmentStatus.ERROR;
        }
        return running.get() > 0 ? EnvironmentStatus.RUNNING : EnvironmentStatus.READY;
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            requireNotDestroyed();
            try {
                Domain domain = domain();
                if (domain.isActive() == 1) {
                    return;
                }
                long started = System.nanoTime();
                domain.create();
                provider.awaitReady(domain, this, started);
            } catch (LibvirtException e) {
                throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "cannot start VM '" + name + "': "
                        + Libvirt.message(e) + hint(e) + SerialConsole.tail(serialLog), e);
            }
        }
    }

    @Override
    public void stop() {
        synchronized (lifecycle) {
            if (destroyed) {
                return;
            }
            try {
                Optional<Domain> found = provider.libvirt().lookup(name);
                if (found.isEmpty() || found.get().isActive() != 1) {
                    return;
                }
                stopping = true;
                shutDown(found.get());
            } catch (LibvirtException e) {
                if (!Libvirt.isNotRunning(e)) {
                    throw new StagecraftException(ErrorCode.INTERNAL, "cannot stop VM '" + name + "': " + Libvirt.message(e) + hint(e), e);
                }
            } finally {
                stopping = false;
            }
        }
    }

    /** A graceful shutdown (libvirt asks the guest agent first, then ACPI), destroy when it is not done in time. */
    private void shutDown(Domain domain) throws LibvirtException {
        try {
            domain.shutdown();
        } catch (LibvirtException e) {
            if (Libvirt.isNotRunning(e)) {
                return;
            }
            // a guest that cannot be asked is stopped the hard way below
        }
        long end = System.nanoTime() + provider.settings().stopTimeout().toNanos();
        while (System.nanoTime() - end < 0) {
            if (!isActive(domain)) {
                return;
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        try {
            domain.destroy();
        } catch (LibvirtException e) {
            if (!Libvirt.isNotRunning(e)) {
                throw e;
            }
        }
    }

    private static boolean isActive(Domain domain) {
        try {
            return domain.isActive() == 1;
        } catch (LibvirtException e) {
            return false;
        }
    }

    @Override
    public void destroy() {
        synchronized (lifecycle) {
            destroyed = true;
            try {
                Optional<Domain> found = provider.libvirt().lookup(name);
                if (found.isPresent()) {
                    Domain domain = found.get();
                    if (isActive(domain)) {
                        try {
                            domain.destroy();
                        } catch (LibvirtException e) {
                            if (!Libvirt.isNotRunning(e)) {
                                throw e;
                            }
                        }
                    }
                    try {
                        domain.undefine();
                    } catch (LibvirtException e) {
                        if (!Libvirt.isNoDomain(e)) {
                            throw e;
                        }
                    }
                }
            } catch (LibvirtException e) {
                throw new StagecraftException(ErrorCode.INTERNAL, "cannot destroy VM '" + name + "': " + Libvirt.message(e) + hint(e), e);
            }
            serialLog.ifPresent(KvmEnvironment::deleteQuietly);
            // after the undefine: a crash in between leaves an overlay without a domain, which discover() deletes
            overlay.ifPresent(WorkspaceOverlay::delete);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // left for the next destroy or discover to retry; it holds only the guest's console output
        }
    }

    @Override
    public ExecResult execute(ExecRequest request) {
        request.workingDir().filter(w -> !w.isBlank() && !w.trim().equals(".")).ifPresent(WorkspacePath::of);
        running.incrementAndGet();
        try {
            Domain domain = runningDomain();
            GuestAgent agent = new GuestAgent(domain, id, this::domain);
            ExecResult result = agent.execute(request, provider.settings().maxOutputBytes(), limits);
            if (!agent.reconnected()) {
                return result;
            }
            return result.withNote("the connection to libvirtd was lost and re-established while the command ran");
        } catch (LibvirtException e) {
            // only a VM known to be off is "stopped": with libvirtd unreachable its state is unknown, not stopped
            if (destroyed || knownStopped()) {
                return new ExecResult(Terminations.exitCodeOf(9), new byte[0], new byte[0], Duration.ZERO, Termination.ENVIRONMENT_STOPPED,
                        false, "VM '" + name + "' stopped while the command ran");
            }
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot run " + request.argv().get(0) + " in VM '"
                    + name + "': " + Libvirt.message(e) + hint(e), e);
        } finally {
            running.decrementAndGet();
        }
    }

    private String hint(LibvirtException e) {
        return Libvirt.unreachableHint(e, provider.libvirt().uri());
    }

    /** True when libvirt says the domain is gone or not running; false when it runs or libvirt cannot be asked. */
    private boolean knownStopped() {
        try {
            Optional<Domain> found = provider.libvirt().lookup(name);
            return found.isEmpty() || found.get().isActive() != 1;
        } catch (LibvirtException e) {
            return Libvirt.isNotRunning(e);
        }
    }

    /** Prints the commands' cgroup counters and the guest's memory, "NAME VALUE" per line; exit 3 without the cgroup. */
    static final String USAGE_SCRIPT = String.join("\n",
            "c=" + GuestAgent.COMMANDS_CGROUP,
            "[ -r $c/memory.current ] || exit 3",
            "echo memory $(cat $c/memory.current)",
            "echo limit $(cat $c/memory.max)",
            "echo pids $(cat $c/pids.current)",
            "sed -n 's/^usage_usec /cpu /p' $c/cpu.stat",
            "sed -n 's/^MemTotal: *\\([0-9]*\\).*/total \\1/p' /proc/meminfo");

    /**
     * What the commands use, as the guest's kernel counts it in their cgroup: memory (against the environment's
     * memory limit, or the guest's whole memory), CPU time since the last sample, processes. From libvirt's view of the
     * whole VM (its allocation) where the guest cannot be asked.
     */
    @Override
    public ResourceUsage usage() {
        Instant now = Instant.now();
        try {
            Optional<Domain> found = provider.libvirt().lookup(name);
            if (found.isEmpty()) {
                return ResourceUsage.unknown(now);
            }
            if (found.get().isActive() != 1) {
                return new ResourceUsage(0, 0, found.get().getInfo().maxMem * 1024, 0, 0, 0, now);
            }
            Optional<ResourceUsage> guest = guestUsage(found.get(), now);
            return guest.isPresent() ? guest.get() : domainUsage(found.get(), now);
        } catch (LibvirtException e) {
            return ResourceUsage.unknown(now);
        }
    }

    private Optional<ResourceUsage> guestUsage(Domain domain, Instant now) {
        Map<String, Long> values = new HashMap<>();
        try {
            GuestAgent.HelperResult result = new GuestAgent(domain, id).helper(USAGE_SCRIPT, List.of());
            if (result.exitCode() != 0) {
                return Optional.empty();
            }
            for (String line : result.stdout().split("\n")) {
                String[] words = line.trim().split(" ");
                if (words.length == 2 && words[1].matches("[0-9]+")) {
                    values.put(words[0], Long.parseLong(words[1]));
                }
            }
        } catch (LibvirtException | RuntimeException e) {
            return Optional.empty();
        }
        if (!values.containsKey("memory") || !values.containsKey("cpu")) {
            return Optional.empty();
        }
        long cpuNanos = values.get("cpu") * 1000;
        long nanos = System.nanoTime();
        double cpu = -1;
        synchronized (this) {
            if (lastCpuTime >= 0 && nanos > lastSampleNanos && cpuNanos >= lastCpuTime) {
                cpu = 100.0 * (cpuNanos - lastCpuTime) / (nanos - lastSampleNanos);
            }
            lastCpuTime = cpuNanos;
            lastSampleNanos = nanos;
        }
        long limit = values.getOrDefault("limit", values.getOrDefault("total", 0L) * 1024);
        long network = networked ? -1 : 0;
        return Optional.of(new ResourceUsage(cpu, values.get("memory"), limit, network, network,
                values.getOrDefault("pids", -1L), now));
    }

    private ResourceUsage domainUsage(Domain domain, Instant now) throws LibvirtException {
        DomainInfo info = domain.getInfo();
        long network = networked ? -1 : 0;
        return new ResourceUsage(-1, info.memory * 1024, info.maxMem * 1024, network, network, -1, now);
    }

    @Override
    public void putFile(String path, byte[] content) {
        WorkspacePath wp = WorkspacePath.of(path);
        try {
            new GuestAgent(runningDomain(), id).putFile(wp, content);
        } catch (LibvirtException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot write '" + wp + "' in VM '" + name + "': "
                    + Libvirt.message(e) + hint(e), e);
        }
    }

    @Override
    public byte[] getFile(String path, long maxBytes) {
        WorkspacePath wp = WorkspacePath.of(path);
        try {
            return new GuestAgent(runningDomain(), id).getFile(wp, maxBytes);
        } catch (LibvirtException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read '" + wp + "' in VM '" + name + "': "
                    + Libvirt.message(e) + hint(e), e);
        } catch (PathEscapeException e) {
            throw e;
        }
    }

    private void requireNotDestroyed() {
        if (destroyed) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "VM environment '" + id + "' has been destroyed");
        }
    }

    private Domain domain() throws LibvirtException {
        return provider.libvirt().lookup(name).orElseThrow(() -> new StagecraftException(ErrorCode.NOT_FOUND,
                "VM '" + name + "' no longer exists in libvirt (" + provider.libvirt().uri() + ")"));
    }

    private Domain runningDomain() throws LibvirtException {
        requireNotDestroyed();
        Domain domain = domain();
        if (domain.isActive() != 1) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "VM environment '" + id + "' is STOPPED; start it first");
        }
        return domain;
    }
}
