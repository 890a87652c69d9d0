package dev.stagecraft.kvm;

import java.util.Locale;

/**
 * The limits a guest puts on the commands it runs, beside the VM's own size. The environment-wide ones travel on
 * the kernel command line ({@code stagecraft.NAME=VALUE}), where the guest's init applies them to the cgroup every
 * command runs in and to its tmpfs mounts, and where {@link LabelledDomains} reads them back from a domain's XML;
 * the per-process ones (open files, file size) the exec wrapper applies to each command.
 *
 * @param memoryBytes the commands' memory together (cgroup memory.max), 0 for no limit below the VM's own memory
 * @param cpuQuota    CPU time per 100 ms period (cgroup cpu.max), 0 for no limit below the VM's vCPUs
 * @param pids        processes and threads together (cgroup pids.max)
 * @param tmpBytes    size of /tmp, /dev/shm and the user's home (tmpfs each)
 * @param openFiles   open files of one process (RLIMIT_NOFILE)
 * @param fileBytes   largest file one process may write (RLIMIT_FSIZE; SIGXFSZ past it), 0 for none
 */
record GuestLimits(long memoryBytes, long cpuQuota, long pids, long tmpBytes, long openFiles, long fileBytes) {
    static final long CPU_PERIOD_MICROS = 100_000;

    /** The kernel command line words the guest's init reads. */
    String kernelArguments() {
        return String.format(Locale.ROOT, "stagecraft.memory=%s stagecraft.cpu=%s stagecraft.pids=%d"
                        + " stagecraft.tmp=%d stagecraft.nofile=%d stagecraft.fsize=%d",
                memoryBytes > 0 ? Long.toString(memoryBytes) : "max", cpuQuota > 0 ? Long.toString(cpuQuota) : "max",
                pids, tmpBytes, openFiles, fileBytes);
    }

    /** The limits a kernel command line carries; {@code fallback}'s for the words it lacks (an older domain). */
    static GuestLimits fromKernelArguments(String cmdline, GuestLimits fallback) {
        return new GuestLimits(
                number(cmdline, "memory", fallback.memoryBytes), number(cmdline, "cpu", fallback.cpuQuota),
                number(cmdline, "pids", fallback.pids), number(cmdline, "tmp", fallback.tmpBytes),
                number(cmdline, "nofile", fallback.openFiles), number(cmdline, "fsize", fallback.fileBytes));
    }

    private static long number(String cmdline, String name, long fallback) {
        String prefix = "stagecraft." + name + "=";
        for (String word : cmdline.trim().split("\\s+")) {
            if (word.startsWith(prefix)) {
                String value = word.substring(prefix.length());
                if (value.equals("max")) {
                    return 0;
                }
                try {
                    return Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    /** The CPU quota for {@code cpus} cores on {@code vcpus} vCPUs: 0 when the VM's whole vCPUs are the limit. */
    static long cpuQuotaFor(double cpus, int vcpus) {
        if (cpus <= 0 || cpus >= vcpus) {
            return 0;
        }
        return Math.max(1000, Math.round(cpus * CPU_PERIOD_MICROS));
    }
}
