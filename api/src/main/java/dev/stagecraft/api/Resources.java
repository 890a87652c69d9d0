package dev.stagecraft.api;

/**
 * An amount of compute: CPU cores (fractions allowed), memory, disk and GPUs. Zero means "not stated"
 * in a requirement and "no ceiling" in a provider's capabilities.
 */
public record Resources(double cpus, long memoryBytes, long diskBytes, int gpus) {
    public static final Resources NONE = new Resources(0, 0, 0, 0);

    public Resources {
        if (cpus < 0 || Double.isNaN(cpus) || Double.isInfinite(cpus)) {
            throw StagecraftException.invalidRequirement("cpus must be a finite number >= 0, got " + cpus);
        }
        if (memoryBytes < 0) {
            throw StagecraftException.invalidRequirement("memory must be >= 0 bytes, got " + memoryBytes);
        }
        if (diskBytes < 0) {
            throw StagecraftException.invalidRequirement("disk must be >= 0 bytes, got " + diskBytes);
        }
        if (gpus < 0) {
            throw StagecraftException.invalidRequirement("gpus must be >= 0, got " + gpus);
        }
    }

    public Resources withCpus(double value) {
        return new Resources(value, memoryBytes, diskBytes, gpus);
    }

    public Resources withMemoryBytes(long value) {
        return new Resources(cpus, value, diskBytes, gpus);
    }

    public Resources withDiskBytes(long value) {
        return new Resources(cpus, memoryBytes, value, gpus);
    }

    public Resources withGpus(int value) {
        return new Resources(cpus, memoryBytes, diskBytes, value);
    }

    /** Each stated field of this, or the other's where this one is zero. */
    public Resources orElse(Resources defaults) {
        return new Resources(cpus > 0 ? cpus : defaults.cpus, memoryBytes > 0 ? memoryBytes : defaults.memoryBytes,
                diskBytes > 0 ? diskBytes : defaults.diskBytes, gpus > 0 ? gpus : defaults.gpus);
    }
}
