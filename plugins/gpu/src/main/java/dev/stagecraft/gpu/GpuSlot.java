package dev.stagecraft.gpu;

import dev.stagecraft.gpu.nvml.Inventory;
import java.util.ArrayList;
import java.util.List;

/**
 * What one environment can be given: a whole GPU (MIG off) or one MIG instance (MIG on). Written into the
 * environment's label {@link #LABEL} as {@code uuid@minor} or {@code uuid@minor:gi:ci}, so the environment's device
 * nodes are known again after a restart without asking NVML.
 *
 * @param uuid            what CUDA_VISIBLE_DEVICES names it by ({@code GPU-...} or {@code MIG-...})
 * @param minor           the minor number of the physical GPU's node {@code /dev/nvidia<minor>}
 * @param gpuInstance     the MIG GPU instance, or -1 for a whole GPU
 * @param computeInstance the MIG compute instance, or -1 for a whole GPU
 */
record GpuSlot(String uuid, int minor, int gpuInstance, int computeInstance, String name, long memoryBytes) {
    static final String LABEL = dev.stagecraft.api.Labels.PREFIX + "gpu.devices";

    boolean mig() {
        return gpuInstance >= 0;
    }

    /** Every slot of the inventory: each GPU without MIG, each MIG instance of the others. */
    static List<GpuSlot> of(Inventory inventory) {
        List<GpuSlot> slots = new ArrayList<>();
        for (Inventory.Gpu gpu : inventory.gpus()) {
            if (!gpu.migEnabled()) {
                slots.add(new GpuSlot(gpu.uuid(), gpu.minor(), -1, -1, gpu.name(), gpu.memoryBytes()));
            }
            for (Inventory.MigDevice mig : gpu.migDevices()) {
                slots.add(new GpuSlot(mig.uuid(), gpu.minor(), mig.gpuInstance(), mig.computeInstance(), mig.name(),
                        mig.memoryBytes()));
            }
        }
        return slots;
    }

    String label() {
        return uuid + "@" + minor + (mig() ? ":" + gpuInstance + ":" + computeInstance : "");
    }

    /** The slots in a {@link #LABEL} value (name and memory are not kept there). */
    static List<GpuSlot> fromLabel(String value) {
        List<GpuSlot> slots = new ArrayList<>();
        for (String item : value.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            int at = item.lastIndexOf('@');
            if (at <= 0) {
                throw new IllegalArgumentException("not a gpu slot: '" + item + "'");
            }
            String[] numbers = item.substring(at + 1).split(":");
            int minor = Integer.parseInt(numbers[0]);
            int gi = numbers.length == 3 ? Integer.parseInt(numbers[1]) : -1;
            int ci = numbers.length == 3 ? Integer.parseInt(numbers[2]) : -1;
            slots.add(new GpuSlot(item.substring(0, at), minor, gi, ci, "", 0));
        }
        return slots;
    }

    static String label(List<GpuSlot> slots) {
        return String.join(",", slots.stream().map(GpuSlot::label).toList());
    }
}
