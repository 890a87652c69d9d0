package dev.stagecraft.lambda;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;

/**
 * A function's memory and /tmp from the requirement, in Lambda's MB. Lambda gives CPU in proportion to memory (one
 * vCPU at 1769 MB), so a requirement's CPUs raise the memory; the most is 10240 MB (six vCPUs) and 10240 MB of /tmp.
 */
record FunctionSizing(int memoryMb, int ephemeralMb) {
    static final int MB_PER_VCPU = 1769;
    static final Resources CEILING = new Resources(6, LambdaSettings.MAX_MEMORY, LambdaSettings.MAX_EPHEMERAL, 0);

    long memoryBytes() {
        return (long) memoryMb << 20;
    }

    static FunctionSizing of(EnvironmentRequirement requirement, LambdaSettings settings) {
        Resources wanted = requirement.resources();
        if (wanted.gpus() > 0) {
            throw new ProvisioningException("Lambda functions have no GPUs; ask for none, or choose another kind");
        }
        long memory = wanted.memoryBytes() > 0 ? wanted.memoryBytes() : settings.memoryBytes();
        long mb = Math.max(128, ceilMb(memory));
        if (wanted.cpus() > 0) {
            mb = Math.max(mb, (long) Math.ceil(wanted.cpus() * MB_PER_VCPU));
        }
        if (mb > 10240) {
            throw new ProvisioningException("the requirement asks for " + Quantities.formatBytes(memory) + " and "
                    + wanted.cpus() + " CPUs: a Lambda function has at most 10g of memory and 6 vCPUs");
        }
        long disk = wanted.diskBytes() > 0 ? wanted.diskBytes() : settings.ephemeralBytes();
        long diskMb = Math.max(512, ceilMb(disk));
        if (diskMb > 10240) {
            throw new ProvisioningException("the requirement asks for " + Quantities.formatBytes(disk)
                    + " of disk: a Lambda function's /tmp is at most 10g");
        }
        return new FunctionSizing((int) mb, (int) diskMb);
    }

    private static long ceilMb(long bytes) {
        return (bytes + (1L << 20) - 1) >> 20;
    }
}
