package dev.stagecraft.gpu.nvml;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;

/**
 * NVML, loaded once from a path or by its soname, and asked in short sessions: each public call runs between
 * {@code nvmlInit_v2} and {@code nvmlShutdown} (NVML counts them), so a GPU that appeared or vanished shows at the
 * next call and nothing stays open between calls.
 */
public final class Nvml {
    /** The soname every driver installs (the unversioned name needs the development package). */
    public static final String SONAME = "libnvidia-ml.so.1";
    private static final int TEXT = 96;
    private static final int PROCESS_INFO_BYTES = 24;

    private final NvmlLibrary lib;
    private final Runtime runtime;
    private final String source;

    private Nvml(NvmlLibrary lib, String source) {
        this.lib = lib;
        this.runtime = Runtime.getRuntime(lib);
        this.source = source;
    }

    /**
     * Loads NVML from {@code library}: an absolute path, or a soname the dynamic linker finds.
     *
     * @throws NvmlException (code -1) with one line when it cannot be loaded
     */
    public static Nvml load(String library) {
        if (library.contains("/") && !Files.isRegularFile(Path.of(library))) {
            throw new NvmlException(-1, "NVML not found: " + library + " does not exist (install the NVIDIA driver, or"
                    + " point providers.gpu.nvml-library at its libnvidia-ml.so.1)");
        }
        try {
            NvmlLibrary lib = LibraryLoader.create(NvmlLibrary.class).load(library);
            lib.nvmlErrorString(0); // resolves now: a library without NVML's symbols fails here, not mid-inventory
            return new Nvml(lib, library);
        } catch (LinkageError | RuntimeException e) {
            throw new NvmlException(-1, "NVML (" + library + ") cannot be loaded: " + firstLine(e)
                    + " (install the NVIDIA driver, or point providers.gpu.nvml-library at its libnvidia-ml.so.1)");
        }
    }

    /** Where it was loaded from, as configured. */
    public String source() {
        return source;
    }

    /** Every GPU with its MIG instances, and the driver's versions. */
    public Inventory inventory() {
        return session(() -> {
            String driver = text("nvmlSystemGetDriverVersion", (p, n) -> lib.nvmlSystemGetDriverVersion(p, n));
            String version = text("nvmlSystemGetNVMLVersion", (p, n) -> lib.nvmlSystemGetNVMLVersion(p, n));
            IntByReference cuda = new IntByReference();
            check("nvmlSystemGetCudaDriverVersion_v2", lib.nvmlSystemGetCudaDriverVersion_v2(cuda));
            IntByReference count = new IntByReference();
            check("nvmlDeviceGetCount_v2", lib.nvmlDeviceGetCount_v2(count));
            List<Inventory.Gpu> gpus = new ArrayList<>();
            for (int i = 0; i < count.intValue(); i++) {
                gpus.add(gpu(i));
            }
            return new Inventory(driver, version, cuda.intValue(), gpus);
        });
    }

    /** The processes running compute work on the device (or MIG instance) {@code uuid}. */
    public List<Inventory.ComputeProcess> processes(String uuid) {
        return session(() -> {
            Pointer device = byUuid(uuid);
            IntByReference count = new IntByReference(0);
            int rc = lib.nvmlDeviceGetComputeRunningProcesses_v3(device, count, null);
            if (rc != 0 && rc != NvmlException.INSUFFICIENT_SIZE) {
                check("nvmlDeviceGetComputeRunningProcesses_v3", rc);
            }
            int room = count.intValue() + 8; // processes may start between the two calls
            Pointer infos = Memory.allocateDirect(runtime, room * PROCESS_INFO_BYTES);
            IntByReference found = new IntByReference(room);
            check("nvmlDeviceGetComputeRunningProcesses_v3", lib.nvmlDeviceGetComputeRunningProcesses_v3(device, found, infos));
            List<Inventory.ComputeProcess> out = new ArrayList<>();
            for (int i = 0; i < found.intValue(); i++) {
                long at = (long) i * PROCESS_INFO_BYTES;
                out.add(new Inventory.ComputeProcess(Integer.toUnsignedLong(infos.getInt(at)), infos.getLongLong(at + 8)));
            }
            return out;
        });
    }

    /** The device's GPU utilisation in percent over NVML's last sample period, or -1 where NVML has none (MIG). */
    public int utilisation(String uuid) {
        return session(() -> {
            Pointer util = Memory.allocateDirect(runtime, 8);
            int rc = lib.nvmlDeviceGetUtilizationRates(byUuid(uuid), util);
            if (rc == NvmlException.NOT_SUPPORTED) {
                return -1;
            }
            check("nvmlDeviceGetUtilizationRates", rc);
            return util.getInt(0);
        });
    }

    private Inventory.Gpu gpu(int index) {
        PointerByReference handle = new PointerByReference();
        check("nvmlDeviceGetHandleByIndex_v2(" + index + ")", lib.nvmlDeviceGetHandleByIndex_v2(index, handle));
        Pointer device = handle.getValue();
        String uuid = text("nvmlDeviceGetUUID", (p, n) -> lib.nvmlDeviceGetUUID(device, p, n));
        String name = text("nvmlDeviceGetName", (p, n) -> lib.nvmlDeviceGetName(device, p, n));
        IntByReference minor = new IntByReference();
        check("nvmlDeviceGetMinorNumber", lib.nvmlDeviceGetMinorNumber(device, minor));
        long[] memory = memory(device);
        IntByReference major = new IntByReference();
        IntByReference minorCc = new IntByReference();
        check("nvmlDeviceGetCudaComputeCapability", lib.nvmlDeviceGetCudaComputeCapability(device, major, minorCc));
        IntByReference current = new IntByReference();
        IntByReference pending = new IntByReference();
        int rc = lib.nvmlDeviceGetMigMode(device, current, pending);
        boolean mig = rc == 0 && current.intValue() == 1;
        if (rc != 0 && rc != NvmlException.NOT_SUPPORTED) {
            check("nvmlDeviceGetMigMode", rc);
        }
        return new Inventory.Gpu(index, minor.intValue(), uuid, name, memory[0], memory[1], major.intValue(),
                minorCc.intValue(), mig, mig ? migDevices(device) : List.of());
    }

    private List<Inventory.MigDevice> migDevices(Pointer device) {
        IntByReference max = new IntByReference();
        check("nvmlDeviceGetMaxMigDeviceCount", lib.nvmlDeviceGetMaxMigDeviceCount(device, max));
        List<Inventory.MigDevice> out = new ArrayList<>();
        for (int i = 0; i < max.intValue(); i++) {
            PointerByReference handle = new PointerByReference();
            int rc = lib.nvmlDeviceGetMigDeviceHandleByIndex(device, i, handle);
            if (rc == NvmlException.NOT_FOUND) {
                continue; // no instance in that slot
            }
            check("nvmlDeviceGetMigDeviceHandleByIndex(" + i + ")", rc);
            Pointer mig = handle.getValue();
            IntByReference gi = new IntByReference();
            IntByReference ci = new IntByReference();
            check("nvmlDeviceGetGpuInstanceId", lib.nvmlDeviceGetGpuInstanceId(mig, gi));
            check("nvmlDeviceGetComputeInstanceId", lib.nvmlDeviceGetComputeInstanceId(mig, ci));
            out.add(new Inventory.MigDevice(text("nvmlDeviceGetUUID", (p, n) -> lib.nvmlDeviceGetUUID(mig, p, n)),
                    text("nvmlDeviceGetName", (p, n) -> lib.nvmlDeviceGetName(mig, p, n)), memory(mig)[0],
                    gi.intValue(), ci.intValue()));
        }
        return out;
    }

    /** {total, used} of {@code nvmlMemory_t {total, free, used}}. */
    private long[] memory(Pointer device) {
        Pointer memory = Memory.allocateDirect(runtime, 24);
        check("nvmlDeviceGetMemoryInfo", lib.nvmlDeviceGetMemoryInfo(device, memory));
        return new long[] {memory.getLongLong(0), memory.getLongLong(16)};
    }

    private Pointer byUuid(String uuid) {
        PointerByReference handle = new PointerByReference();
        check("nvmlDeviceGetHandleByUUID(" + uuid + ")", lib.nvmlDeviceGetHandleByUUID(uuid, handle));
        return handle.getValue();
    }

    private interface TextCall {
        int call(Pointer buffer, int length);
    }

    private String text(String name, TextCall call) {
        Pointer buffer = Memory.allocateDirect(runtime, TEXT);
        check(name, call.call(buffer, TEXT));
        return buffer.getString(0, TEXT, StandardCharsets.UTF_8);
    }

    private <T> T session(java.util.function.Supplier<T> work) {
        int rc;
        try {
            rc = lib.nvmlInit_v2();
        } catch (LinkageError e) {
            throw new NvmlException(-1, "NVML (" + source + ") has no nvmlInit_v2: " + firstLine(e)
                    + " (a driver older than R450, or not NVML at all)");
        }
        check("nvmlInit_v2", rc);
        try {
            return work.get();
        } catch (LinkageError e) {
            throw new NvmlException(-1, "NVML (" + source + ") lacks a function the gpu provider needs: " + firstLine(e)
                    + " (driver R510 or later is needed)");
        } finally {
            lib.nvmlShutdown();
        }
    }

    private void check(String call, int rc) {
        if (rc != 0) {
            throw NvmlException.of(call, rc, lib.nvmlErrorString(rc));
        }
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.lines().findFirst().orElse("");
    }
}
