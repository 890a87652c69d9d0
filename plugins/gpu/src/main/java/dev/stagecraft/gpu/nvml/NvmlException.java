package dev.stagecraft.gpu.nvml;

/** A failed NVML call, or NVML missing: one line naming the call, NVML's own words, and what to do where known. */
public final class NvmlException extends RuntimeException {
    public static final int NOT_SUPPORTED = 3;
    public static final int NOT_FOUND = 6;
    public static final int INSUFFICIENT_SIZE = 7;
    public static final int DRIVER_NOT_LOADED = 9;
    public static final int GPU_IS_LOST = 15;
    public static final int LIB_RM_VERSION_MISMATCH = 18;

    private final int code;

    public NvmlException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The nvmlReturn_t, or -1 when NVML could not be loaded at all. */
    public int code() {
        return code;
    }

    static NvmlException of(String call, int code, String nvmlWords) {
        String hint = switch (code) {
            case DRIVER_NOT_LOADED -> "; the NVIDIA kernel module is not loaded (nvidia-smi says the same; load it or reboot)";
            case LIB_RM_VERSION_MISMATCH -> "; the driver's user-space libraries and its kernel module are of different"
                    + " versions (typically after a driver upgrade without a reboot): reboot, or point providers.gpu.nvml-library"
                    + " at the library that matches the loaded module";
            case GPU_IS_LOST -> "; the GPU fell off the bus (see dmesg for Xid errors); it needs a reset or a reboot";
            default -> "";
        };
        return new NvmlException(code, "NVML " + call + " failed: " + nvmlWords + " (" + code + ")" + hint);
    }
}
