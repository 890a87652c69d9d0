package dev.stagecraft.gpu;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.gpu.nvml.Inventory;
import dev.stagecraft.gpu.nvml.Nvml;
import dev.stagecraft.gpu.nvml.NvmlException;
import dev.stagecraft.sandbox.SandboxAdditions;
import dev.stagecraft.sandbox.SandboxProvider;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code gpu} kind: an environment is a sandbox of the launcher library (the same namespaces, seccomp filter,
 * cgroup, uid 1000 and no capabilities as the {@code sandbox} kind) that holds whole GPUs, or MIG instances where MIG
 * is on, exclusively ({@link GpuAllocations}); it sees only their device nodes ({@link DeviceNodes}), the driver's
 * libraries ({@link DriverLibraries}) and CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES naming them. The inventory
 * comes from NVML ({@link Nvml}); doctor lists it.
 */
public final class GpuProvider implements EnvironmentProvider {
    public static final String KIND = "gpu";
    private static final Duration INVENTORY_AGE = Duration.ofSeconds(2);

    private final SandboxProvider sandbox = new SandboxProvider(KIND, this::launch);
    private volatile GpuSettings settings;
    private volatile Path stateDir;
    private volatile String owner;
    private volatile GpuAllocations allocations;
    private volatile GpuAccounting accounting;
    private volatile Nvml nvml;
    private volatile String nvmlProblem;
    private volatile Inventory cached;
    private volatile long cachedAt;

    public GpuProvider() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        GpuSettings parsed = GpuSettings.from(context.settings());
        sandbox.initialize(context);
        this.settings = parsed;
        this.stateDir = context.stateDirectory();
        this.owner = context.owner();
        this.allocations = new GpuAllocations(parsed.allocationDir());
        this.accounting = new GpuAccounting(this::nvmlOrNull, Path.of("/proc"));
        try {
            this.nvml = Nvml.load(parsed.nvmlLibrary());
            this.nvmlProblem = null;
        } catch (NvmlException e) {
            this.nvml = null;
            this.nvmlProblem = e.getMessage();
        }
    }

    private GpuSettings settings() {
        if (settings == null) {
            initialize(new ProviderContext("stagecraft", Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-gpu-state"),
                    Settings.empty("providers.gpu")));
        }
        return settings;
    }

    private Nvml nvmlOrNull() {
        return nvml;
    }

    @Override
    public void close() {
        sandbox.close();
    }

    /** The inventory, at most {@link #INVENTORY_AGE} old. */
    Inventory inventory() {
        settings();
        if (nvml == null) {
            throw new NvmlException(-1, nvmlProblem);
        }
        Inventory now = cached;
        if (now == null || System.nanoTime() - cachedAt > INVENTORY_AGE.toNanos()) {
            now = nvml.inventory();
            cached = now;
            cachedAt = System.nanoTime();
        }
        return now;
    }

    @Override
    public ProviderCapabilities describe() {
        GpuSettings s = settings();
        ProviderCapabilities base = sandbox.describe();
        int slots;
        try {
            slots = GpuSlot.of(inventory()).size();
        } catch (NvmlException e) {
            slots = 0;
        }
        return new ProviderCapabilities(KIND, base.isolationLevels(), s.startupEstimate(), 10, s.costPerHour(), slots > 0,
                base.network(), false, base.ceiling().withGpus(Math.max(slots, 0)), base.egress(), base.diskLimit());
    }

    @Override
    public ProviderHealth probe() {
        settings();
        ProviderHealth launcher = sandbox.probe();
        Map<String, String> details = new HashMap<>(launcher.details());
        Inventory inventory;
        try {
            inventory = inventory();
        } catch (NvmlException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("install the NVIDIA driver (its libnvidia-ml.so.1),"
                    + " or set providers.gpu.nvml-library to its path"), details);
        }
        details.put("nvml", inventory.nvmlVersion() + " (" + nvml.source() + ")");
        details.put("driver", inventory.driverVersion());
        details.put("cuda", inventory.cudaText());
        Map<String, GpuAllocations.Holder> held = allocations.snapshot();
        for (Inventory.Gpu gpu : inventory.gpus()) {
            details.put("gpu" + gpu.index(), describe(gpu, held));
            for (Inventory.MigDevice mig : gpu.migDevices()) {
                details.put("gpu" + gpu.index() + "/gi" + mig.gpuInstance() + "/ci" + mig.computeInstance(),
                        mig.name() + ", " + mig.uuid() + ", " + mib(mig.memoryBytes()) + holderText(held.get(mig.uuid())));
            }
        }
        Set<String> present = GpuSlot.of(inventory).stream().map(GpuSlot::uuid).collect(Collectors.toSet());
        held.values().stream().filter(h -> !present.contains(h.uuid()))
                .forEach(h -> details.put("vanished " + h.uuid(), "held by environment " + h.environmentId()
                        + " but no longer reported by NVML"));
        if (!launcher.available()) {
            return ProviderHealth.unavailable(launcher.reason(), launcher.remedies(), details);
        }
        int slots = GpuSlot.of(inventory).size();
        if (slots == 0) {
            return ProviderHealth.unavailable("NVML " + inventory.nvmlVersion() + " reports no usable GPU"
                    + (inventory.gpus().isEmpty() ? "" : " (MIG is on and no instance is made)"),
                    List.of("check nvidia-smi; with MIG on, create instances (nvidia-smi mig -cgi ... -C)"), details);
        }
        return ProviderHealth.available(inventory.gpus().size() + " GPU(s), " + slots + " allocatable, driver "
                + inventory.driverVersion() + ", CUDA " + inventory.cudaText() + "; " + launcher.reason(), details);
    }

    private static String describe(Inventory.Gpu gpu, Map<String, GpuAllocations.Holder> held) {
        return gpu.name() + ", " + gpu.uuid() + ", " + mib(gpu.memoryBytes()) + ", compute capability "
                + gpu.computeCapability() + ", MIG " + (gpu.migEnabled() ? "on (" + gpu.migDevices().size() + " instances)" : "off")
                + (gpu.migEnabled() ? "" : holderText(held.get(gpu.uuid())));
    }

    private static String holderText(GpuAllocations.Holder holder) {
        return holder == null ? ", free" : ", held by environment " + holder.environmentId();
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /** The sandbox's CPUs and memory, and the requirement's GPUs or {@code providers.gpu.gpus}. */
    @Override
    public Resources limitsFor(EnvironmentRequirement requirement) {
        GpuSettings s = settings();
        Resources base = sandbox.limitsFor(requirement);
        return base.withGpus(requirement.gpu() ? requirement.resources().gpus() : s.gpus());
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        GpuSettings s = settings();
        int count = limitsFor(spec.requirement()).gpus();
        List<GpuSlot> slots;
        try {
            slots = GpuSlot.of(inventory());
        } catch (NvmlException e) {
            throw new ProvisioningException("gpu '" + spec.id() + "': " + e.getMessage());
        }
        List<GpuSlot> taken = allocate(spec, slots, count, s.allocationWait());
        EnvironmentSpec labelled = new EnvironmentSpec(spec.id(), spec.requirement(), spec.isolation(),
                spec.labels().with(GpuSlot.LABEL, GpuSlot.label(taken)));
        try {
            return wrap(sandbox.create(labelled));
        } catch (RuntimeException e) {
            allocations.release(spec.id());
            throw e;
        }
    }

    private List<GpuSlot> allocate(EnvironmentSpec spec, List<GpuSlot> slots, int count, Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return allocations.allocate(slots, count, spec.id(), owner, stateDir);
            } catch (ProvisioningException e) {
                if (count > slots.size() || System.nanoTime() - end >= 0) {
                    throw new ProvisioningException("gpu '" + spec.id() + "': " + e.getMessage()
                            + (wait.isZero() ? "" : " (waited " + wait.toSeconds() + "s)"));
                }
                sleep();
            } catch (UncheckedIOException e) {
                throw new ProvisioningException("gpu '" + spec.id() + "': cannot record the allocation: " + e.getMessage(), e);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("interrupted while waiting for a GPU");
        }
    }

    @Override
    public List<ExecutionEnvironment> discover() {
        settings();
        List<ExecutionEnvironment> found = new ArrayList<>();
        for (ExecutionEnvironment env : sandbox.discover()) {
            found.add(wrap(env));
        }
        Set<String> ids = found.stream().map(ExecutionEnvironment::id).collect(Collectors.toSet());
        try {
            allocations.reap(stateDir, ids::contains);
        } catch (UncheckedIOException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "gpu: cannot reap stale allocations: " + e.getMessage(), e);
        }
        return found;
    }

    private GpuEnvironment wrap(ExecutionEnvironment env) {
        List<GpuSlot> slots = GpuSlot.fromLabel(env.labels().get(GpuSlot.LABEL).orElse(""));
        return new GpuEnvironment(env, slots, allocations, accounting);
    }

    /** What each command of the environment with {@code labels} gets beyond the sandbox: its GPUs and the driver. */
    private SandboxAdditions.Launch launch(dev.stagecraft.api.Labels labels) {
        GpuSettings s = settings();
        List<GpuSlot> slots = GpuSlot.fromLabel(labels.get(GpuSlot.LABEL).orElse(""));
        List<String> options = new ArrayList<>(DeviceNodes.bwrapOptions(slots, s.deviceRoot(), s.procRoot(),
                labels.environmentId()));
        DriverLibraries.Binding driver = DriverLibraries.of(s.driverRoot());
        options.addAll(driver.bwrapOptions());
        Map<String, String> variables = new HashMap<>(driver.variables());
        String visible = String.join(",", slots.stream().map(GpuSlot::uuid).toList());
        variables.put("CUDA_VISIBLE_DEVICES", visible);
        variables.put("NVIDIA_VISIBLE_DEVICES", visible);
        return new SandboxAdditions.Launch(options, variables);
    }
}
