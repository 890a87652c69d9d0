package dev.stagecraft.gpu.nvml;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;

/**
 * The functions of NVML ({@code libnvidia-ml.so.1}, shipped with the NVIDIA driver) the gpu provider calls, bound
 * through jnr-ffi; names and signatures as in {@code nvml.h}. Every function returns an {@code nvmlReturn_t}
 * ({@link NvmlException} reads it). An {@code nvmlDevice_t} is an opaque pointer. Exported only for jnr-ffi's
 * generated implementation.
 */
public interface NvmlLibrary {
    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlSystemGetDriverVersion(Pointer version, int length);

    int nvmlSystemGetNVMLVersion(Pointer version, int length);

    int nvmlSystemGetCudaDriverVersion_v2(IntByReference version);

    int nvmlDeviceGetCount_v2(IntByReference count);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device);

    int nvmlDeviceGetUUID(Pointer device, Pointer uuid, int length);

    int nvmlDeviceGetName(Pointer device, Pointer name, int length);

    int nvmlDeviceGetMinorNumber(Pointer device, IntByReference minor);

    /** {@code memory} points at {@code nvmlMemory_t {unsigned long long total, free, used;}}. */
    int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory);

    int nvmlDeviceGetCudaComputeCapability(Pointer device, IntByReference major, IntByReference minor);

    /** {@code utilization} points at {@code nvmlUtilization_t {unsigned int gpu, memory;}}. */
    int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization);

    int nvmlDeviceGetMigMode(Pointer device, IntByReference current, IntByReference pending);

    int nvmlDeviceGetMaxMigDeviceCount(Pointer device, IntByReference count);

    int nvmlDeviceGetMigDeviceHandleByIndex(Pointer device, int index, PointerByReference migDevice);

    int nvmlDeviceGetGpuInstanceId(Pointer device, IntByReference id);

    int nvmlDeviceGetComputeInstanceId(Pointer device, IntByReference id);

    /**
     * {@code infos} points at {@code count} {@code nvmlProcessInfo_t} (v3: {@code unsigned int pid; unsigned long long
     * usedGpuMemory; unsigned int gpuInstanceId, computeInstanceId;}, 24 bytes each); {@code count} in: room, out: found.
     */
    int nvmlDeviceGetComputeRunningProcesses_v3(Pointer device, IntByReference count, Pointer infos);
}
