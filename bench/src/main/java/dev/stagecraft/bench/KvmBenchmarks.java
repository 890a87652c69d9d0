package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Settings;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.kvm.KvmProvider;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kvm provider against plain virsh with the very same domain XML (the one the provider would define for the
 * spec): cold boot-to-ready ({@code virsh create} + polling {@code guest-ping}) and acquire + exec of /bin/true +
 * destroy; and warm acquire of a booted VM from a manager's pool. Every boot takes seconds, so {@link KvmSuite}
 * runs these one shot per iteration; the per-iteration set-up (a fresh name, the XML file, the baseline's
 * workspace overlay, a refilled pool) and the tear-down (destroying the VM) are outside the measurement.
 */
@State(Scope.Benchmark)
public class KvmBenchmarks {
    static final String URI = "qemu:///system";
    private static final ExecRequest TRUE = ExecRequest.builder("/bin/true").timeout(Duration.ofSeconds(60)).build();
    private static final ExecRequest PYTHON = ExecRequest.builder("python3", "-c", "print(1)")
            .timeout(Duration.ofSeconds(60)).build();
    private static final Pattern OVERLAY = Pattern.compile("<source file='([^']+\\.qcow2)'/>");
    private static final Pattern SERIAL_LOG = Pattern.compile("<serial type='file'><source path='([^']+)'/>");
    private static final Path BASE_WORKSPACE = Path.of("/var/lib/stagecraft/kvm/images/workspace.qcow2");

    private static final Path SNAPSHOTS = Path.of("/var/lib/stagecraft/kvm/snapshots");
    private static final Path OVERLAYS = Path.of("/var/lib/stagecraft/kvm/overlays");

    /** Boots every environment (providers.kvm.snapshots: false), as the virsh baseline does. */
    private KvmProvider provider;
    /** Restores environments from the boot snapshot of their shape (the default). */
    private KvmProvider restoring;
    private Path state;

    // the virsh restore baseline: the provider's save file restored under its own name, with a copy of its disk
    private String savedDomain;
    private Path savedState;
    private Path restoreXml;
    private Path restoreOverlay;

    // one iteration's VM
    private String domain;
    private Path xmlFile;
    private Path virshOverlay;
    private Path virshSerialLog;
    private ExecutionEnvironment environment;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        state = Files.createTempDirectory("stagecraft-bench-kvm");
        provider = new KvmProvider();
        provider.initialize(new ProviderContext("bench", state, new Settings("bench", "providers.kvm",
                Map.of("snapshots", false))));
        restoring = new KvmProvider();
        restoring.initialize(new ProviderContext("bench", Files.createTempDirectory("stagecraft-bench-kvm-restoring"),
                Settings.empty("providers.kvm")));
        ProviderHealth health = provider.probe();
        if (!health.available()) {
            throw new IllegalStateException("the kvm provider is unavailable: " + health.reason());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ExecutionEnvironment leftover : provider.discover()) {
            if (leftover.labels().owner().equals("bench")) {
                leftover.destroy();
            }
        }
        provider.close();
        restoring.close();
    }

    static EnvironmentSpec spec() {
        String id = "bench-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, EnvironmentRequirement.builder().securityLevel(SecurityLevel.CRITICAL).build(),
                IsolationLevel.VM, Labels.of("bench", id, Instant.now(), Duration.ofHours(1)).with(Labels.KIND, "kvm"));
    }

    /** A fresh spec, and for the virsh baseline its XML in a file and its workspace overlay, made ready. */
    @Setup(Level.Iteration)
    public void prepare() throws Exception {
        EnvironmentSpec spec = spec();
        domain = "stagecraft-" + spec.id();
        String xml = provider.domainXml(spec);
        xmlFile = state.resolve(domain + ".xml");
        Files.writeString(xmlFile, xml);
        Matcher overlay = OVERLAY.matcher(xml);
        virshOverlay = overlay.find() ? Path.of(overlay.group(1)) : null;
        Matcher log = SERIAL_LOG.matcher(xml);
        virshSerialLog = log.find() ? Path.of(log.group(1)) : null;
        if (virshOverlay != null) {
            run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", BASE_WORKSPACE.toString(), "-F", "qcow2",
                    virshOverlay.toString()));
        }
        prepareVirshRestore();
    }

    /**
     * For virshRestoreToReady: the newest boot snapshot the provider saved (the kvmRestoreToReady benchmark, run
     * before it, makes one), its XML with a copy of its workspace disk and a console log of the bench's own.
     */
    private void prepareVirshRestore() throws Exception {
        savedDomain = null;
        Path newest = null;
        if (Files.isDirectory(SNAPSHOTS)) {
            try (var dirs = Files.list(SNAPSHOTS)) {
                newest = dirs.filter(d -> Files.isRegularFile(d.resolve("ready")))
                        .max(java.util.Comparator.comparing(d -> d.resolve("ready").toFile().lastModified())).orElse(null);
            }
        }
        if (newest == null) {
            return;
        }
        savedState = newest.resolve("state.save");
        String xml = virsh("save-image-dumpxml", savedState.toString());
        Matcher name = Pattern.compile("<name>([^<]+)</name>").matcher(xml);
        if (!name.find()) {
            return;
        }
        savedDomain = name.group(1);
        restoreOverlay = OVERLAYS.resolve("bench-restore-" + UUID.randomUUID() + ".qcow2");
        Files.copy(newest.resolve("workspace.qcow2"), restoreOverlay);
        xml = xml.replace(newest.resolve("workspace.qcow2").toString(), restoreOverlay.toString());
        Matcher log = Pattern.compile("<source path='([^']+\\.log)'/>").matcher(xml);
        if (log.find()) {
            xml = xml.replace(log.group(1), state.resolve("restore.log").toString());
        }
        restoreXml = state.resolve("restore.xml");
        Files.writeString(restoreXml, xml);
    }

    @TearDown(Level.Iteration)
    public void cleanUp() throws Exception {
        if (environment != null) {
            environment.destroy();
            environment = null;
        }
        virshQuietly("destroy", domain);
        if (virshOverlay != null) {
            Files.deleteIfExists(virshOverlay);
        }
        if (virshSerialLog != null) {
            Files.deleteIfExists(virshSerialLog);
        }
        Files.deleteIfExists(xmlFile);
        if (savedDomain != null) {
            virshQuietly("destroy", savedDomain);
            Files.deleteIfExists(restoreOverlay);
        }
    }

    // ---- cold: boot to ready ----------------------------------------------------------------------------

    @Benchmark
    public String virshBootToReady() throws Exception {
        virsh("create", xmlFile.toString());
        awaitGuestPing(domain);
        return domain;
    }

    @Benchmark
    public String kvmBootToReady() {
        environment = provider.create(spec());
        return environment.id();
    }

    // ---- cold from a boot snapshot ------------------------------------------------------------------------

    /** The provider's create when its shape has a boot snapshot (the warm-up shot builds it). */
    @Benchmark
    public String kvmRestoreToReady() {
        environment = restoring.create(spec());
        return environment.id();
    }

    /** The bare tool: {@code virsh restore} of the same save file + polling guest-ping. */
    @Benchmark
    public String virshRestoreToReady() throws Exception {
        if (savedDomain == null) {
            throw new IllegalStateException("no boot snapshot in " + SNAPSHOTS + ": run kvmRestoreToReady first");
        }
        virsh("restore", savedState.toString(), "--xml", restoreXml.toString());
        awaitGuestPing(savedDomain);
        return savedDomain;
    }

    // ---- cold: acquire + exec + destroy -----------------------------------------------------------------

    @Benchmark
    public int virshAcquireExecDestroy() throws Exception {
        virsh("create", xmlFile.toString());
        awaitGuestPing(domain);
        String started = virsh("qemu-agent-command", domain,
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/true\",\"capture-output\":true}}");
        Matcher pid = Pattern.compile("\"pid\":(\\d+)").matcher(started);
        if (!pid.find()) {
            throw new IllegalStateException("guest-exec answered " + started);
        }
        String status = "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid.group(1) + "}}";
        String reply;
        do {
            reply = virsh("qemu-agent-command", domain, status);
        } while (!reply.contains("\"exited\":true"));
        virsh("destroy", domain);
        Files.deleteIfExists(virshOverlay);
        if (!reply.contains("\"exitcode\":0")) {
            throw new IllegalStateException("/bin/true in the guest: " + reply);
        }
        return 0;
    }

    @Benchmark
    public int kvmAcquireExecDestroy() {
        ExecutionEnvironment env = provider.create(spec());
        try {
            ExecResult result = env.execute(TRUE);
            if (!result.succeeded()) {
                throw new IllegalStateException("/bin/true in the guest failed: " + result);
            }
            return result.exitCode();
        } finally {
            env.destroy();
        }
    }

    // ---- warm acquire through the manager ---------------------------------------------------------------

    /** A manager with a pool of two booted VMs; each iteration waits until the pool is full again. */
    @State(Scope.Benchmark)
    public static class WarmPool {
        static final EnvironmentRequirement VM = EnvironmentRequirement.builder().toolType("bench-vm")
                .securityLevel(SecurityLevel.CRITICAL).provider("kvm").build();
        static final int SIZE = 2;

        Stagecraft stagecraft;
        Lease lease;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            stagecraft = BenchStagecraft.start("kvm-pool",
                    "pools:\n  vm:\n    size: " + SIZE + "\n    tool-type: bench-vm\n    security: critical\n    provider: kvm\n");
        }

        @Setup(Level.Iteration)
        public void awaitFullPool() {
            BenchStagecraft.awaitPool(stagecraft, "vm", SIZE, Duration.ofMinutes(3));
        }

        @TearDown(Level.Iteration)
        public void release() {
            if (lease != null) {
                lease.close();
                lease = null;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            stagecraft.close();
        }
    }

    @Benchmark
    public String warmAcquire(WarmPool pool) {
        pool.lease = pool.stagecraft.manager().acquire(WarmPool.VM);
        return pool.lease.id();
    }

    /** Warm acquire from the pool and {@code python3 -c 'print(1)'} in the VM it hands out, to the whole result. */
    @Benchmark
    public String warmAcquireExecPython(WarmPool pool) {
        pool.lease = pool.stagecraft.manager().acquire(WarmPool.VM);
        requireOne(pool.lease.execute(PYTHON));
        return pool.lease.id();
    }

    // ---- one booted VM: the provider's exec against the guest agent's own ---------------------------------

    /** One VM booted by the provider for the whole trial, and a libvirt connection of the bench's own to it. */
    @State(Scope.Benchmark)
    public static class BootedVm {
        KvmProvider provider;
        ExecutionEnvironment environment;
        Connect connect;
        Domain domain;

        @Setup(Level.Trial)
        public void boot() throws Exception {
            provider = new KvmProvider();
            provider.initialize(new ProviderContext("bench", Files.createTempDirectory("stagecraft-bench-kvm-booted"),
                    Settings.empty("providers.kvm")));
            environment = provider.create(spec());
            connect = new Connect(URI);
            domain = connect.domainLookupByName("stagecraft-" + environment.id());
        }

        @TearDown(Level.Trial)
        public void destroy() throws Exception {
            environment.destroy();
            provider.close();
            connect.close();
        }
    }

    /** {@code python3 -c 'print(1)'} through the provider (wrapper, cgroup, user, limits) in a running VM. */
    @Benchmark
    public String providerExecPython(BootedVm vm) {
        requireOne(vm.environment.execute(PYTHON));
        return vm.environment.id();
    }

    /**
     * The bare tool: the same program by the guest agent's own {@code guest-exec} (as root, no wrapper) on the same
     * libvirt connection kind, polled on the provider's schedule (2 ms doubling to 40 ms).
     */
    @Benchmark
    public String bareAgentExecPython(BootedVm vm) throws Exception {
        String started = vm.domain.qemuAgentCommand("{\"execute\":\"guest-exec\",\"arguments\":{\"path\":"
                + "\"/usr/bin/python3\",\"arg\":[\"-c\",\"print(1)\"],\"capture-output\":true}}", 15, 0);
        Matcher pid = Pattern.compile("\"pid\":(\\d+)").matcher(started);
        if (!pid.find()) {
            throw new IllegalStateException("guest-exec answered " + started);
        }
        String status = "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid.group(1) + "}}";
        long pause = Duration.ofMillis(2).toNanos();
        String reply;
        while (!(reply = vm.domain.qemuAgentCommand(status, 15, 0)).contains("\"exited\":true")) {
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, Duration.ofMillis(40).toNanos());
        }
        if (!reply.contains("\"out-data\":\"MQo=\"")) {
            throw new IllegalStateException("python3 in the guest: " + reply);
        }
        return reply;
    }

    private static void requireOne(ExecResult result) {
        if (!result.succeeded() || !result.stdoutText().equals("1\n")) {
            throw new IllegalStateException("python3 -c 'print(1)' in the guest: " + result);
        }
    }

    // ---- virsh ------------------------------------------------------------------------------------------

    /** Polls guest-ping with virsh until the agent answers, as a script would. */
    private static void awaitGuestPing(String domain) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (virshExit("qemu-agent-command", domain, "{\"execute\":\"guest-ping\"}") != 0) {
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException(domain + " did not answer guest-ping within 90 s");
            }
            LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
        }
    }

    private static String virsh(String... args) throws Exception {
        return run(command(args));
    }

    private static int virshExit(String... args) throws Exception {
        Process process = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
        process.getOutputStream().close();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    private static void virshQuietly(String... args) {
        try {
            virshExit(args);
        } catch (Exception e) {
            // nothing to destroy
        }
    }

    private static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of("virsh", "-c", URI));
        command.addAll(List.of(args));
        return command;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit + ": " + out.trim());
        }
        return out;
    }
}
