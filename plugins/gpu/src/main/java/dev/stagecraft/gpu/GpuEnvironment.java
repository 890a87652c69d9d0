package dev.stagecraft.gpu;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;
import java.util.List;

/**
 * A sandbox environment (made by the launcher under the kind {@code gpu}) that holds GPUs: destroying it frees them,
 * and its usage adds GPU utilisation and the GPU memory of its own processes ({@link GpuAccounting}).
 */
final class GpuEnvironment implements ExecutionEnvironment {
    private final ExecutionEnvironment sandbox;
    private final List<GpuSlot> slots;
    private final GpuAllocations allocations;
    private final GpuAccounting accounting;

    GpuEnvironment(ExecutionEnvironment sandbox, List<GpuSlot> slots, GpuAllocations allocations, GpuAccounting accounting) {
        this.sandbox = sandbox;
        this.slots = List.copyOf(slots);
        this.allocations = allocations;
        this.accounting = accounting;
    }

    /** The devices it holds. */
    List<GpuSlot> slots() {
        return slots;
    }

    /** The launcher's environment underneath. */
    ExecutionEnvironment sandbox() {
        return sandbox;
    }

    @Override public String id() { return sandbox.id(); }
    @Override public String kind() { return sandbox.kind(); }
    @Override public IsolationLevel isolation() { return sandbox.isolation(); }
    @Override public Labels labels() { return sandbox.labels(); }
    @Override public EnvironmentStatus status() { return sandbox.status(); }
    @Override public void start() { sandbox.start(); }
    @Override public void stop() { sandbox.stop(); }
    @Override public ExecResult execute(ExecRequest request) { return sandbox.execute(request); }
    @Override public ExecResult execute(ExecRequest request, OutputListener listener) { return sandbox.execute(request, listener); }
    @Override public void putFile(String path, byte[] content) { sandbox.putFile(path, content); }
    @Override public byte[] getFile(String path, long maxBytes) { return sandbox.getFile(path, maxBytes); }

    /** Destroys the sandbox, then frees its GPUs (a failed destroy keeps them: the environment may still run). */
    @Override
    public void destroy() {
        sandbox.destroy();
        allocations.release(id());
    }

    @Override
    public ResourceUsage usage() {
        ResourceUsage base = sandbox.usage();
        GpuAccounting.Sample gpu = accounting.sample(id(), slots);
        return base.withGpu(gpu.percent(), gpu.memoryBytes());
    }
}
