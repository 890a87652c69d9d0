package dev.stagecraft.gpu.nvml;

import java.util.List;

/**
 * What NVML reported at one moment.
 *
 * @param driverVersion the driver's version ({@code 580.159.04})
 * @param nvmlVersion   the library's own version ({@code 13.580.159.04})
 * @param cudaVersion   the CUDA version the driver supports, as NVML encodes it (13000: 13.0)
 * @param gpus          every GPU, in NVML's index order
 */
public record Inventory(String driverVersion, String nvmlVersion, int cudaVersion, List<Gpu> gpus) {
    public Inventory {
        gpus = List.copyOf(gpus);
    }

    /** {@code 13.0} for 13000. */
    public String cudaText() {
        return cudaVersion / 1000 + "." + cudaVersion % 1000 / 10;
    }

    /**
     * One physical GPU.
     *
     * @param index        NVML's index
     * @param minor        its device node's minor number: {@code /dev/nvidia<minor>}
     * @param memoryBytes  its memory ({@code nvmlMemory_t.total})
     * @param usedBytes    memory in use now
     * @param migEnabled   whether MIG mode is on (then work runs on {@code migDevices}, never on the whole card)
     * @param migDevices   its MIG instances (empty when MIG is off)
     */
    public record Gpu(int index, int minor, String uuid, String name, long memoryBytes, long usedBytes,
                      int computeMajor, int computeMinor, boolean migEnabled, List<MigDevice> migDevices) {
        public Gpu {
            migDevices = List.copyOf(migDevices);
        }

        public String computeCapability() {
            return computeMajor + "." + computeMinor;
        }
    }

    /**
     * One MIG instance of a GPU.
     *
     * @param uuid            {@code MIG-...}, what CUDA_VISIBLE_DEVICES names it by
     * @param name            e.g. {@code NVIDIA H200 MIG 1g.18gb}
     * @param gpuInstance     its GPU instance id
     * @param computeInstance its compute instance id
     */
    public record MigDevice(String uuid, String name, long memoryBytes, int gpuInstance, int computeInstance) {
    }

    /** A process NVML sees running compute work on a device, and the device memory it holds. */
    public record ComputeProcess(long pid, long usedBytes) {
    }
}
