package dev.stagecraft.sandbox;

import dev.stagecraft.api.Settings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The sandbox's section of the configuration, {@code providers.sandbox}, read once and checked, so a bad value
 * fails with one line naming the key.
 *
 * @param bwrap               the bubblewrap binary ({@code bwrap}: looked up on the host's PATH)
 * @param memoryBytes         memory limit of an environment whose requirement names none
 * @param cpus                CPU limit (cores, fractions allowed) of an environment whose requirement names none
 * @param pids                most processes and threads in one environment
 * @param tmpSizeBytes        size of the private tmpfs at /tmp
 * @param path                the PATH commands see unless their request sets one
 * @param cgroupRoot          where the cgroup file systems are mounted
 * @param cgroupParent        the cgroup every environment's cgroup is made under
 * @param startupEstimate     reported to selection
 * @param executionEfficiency reported to selection (0-10)
 * @param costPerHour         reported to selection
 * @param openFiles           RLIMIT_NOFILE of every sandboxed process (soft and hard)
 * @param fileSizeBytes       RLIMIT_FSIZE: the largest file a sandboxed process may write (a multiple of 512)
 * @param cpuTime             RLIMIT_CPU of each sandboxed process (zero: none; the wall-clock timeout still holds)
 * @param network             the tools of a networked sandbox and the ranges opened on purpose
 * @param launcher            how bubblewrap is started: {@code direct} ({@link DirectLaunch}), {@code shell} (behind
 *                            the wrapper shell of {@link BwrapCommand#build}) or {@code auto} (direct where the C
 *                            library allows it); resolved to one of the first two when the provider starts
 * @param prespawn            whether a sandbox without network is made ahead of its first command
 *                            ({@link WaitingSandbox}), with the direct launcher only
 */
record SandboxSettings(String bwrap, long memoryBytes, double cpus, long pids, long tmpSizeBytes, String path,
                       Path cgroupRoot, String cgroupParent, Duration startupEstimate, int executionEfficiency,
                       double costPerHour, long openFiles, long fileSizeBytes, Duration cpuTime,
                       String launcher, Network network, java.util.List<Path> readOnlyPaths, boolean prespawn) {
    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
    static final long DEFAULT_OPEN_FILES = 1024;
    static final long DEFAULT_FILE_SIZE = 1L << 30;

    static final String DIRECT = "direct";
    static final String SHELL = "shell";
    static final String AUTO = "auto";

    SandboxSettings withBwrap(String path) {
        return new SandboxSettings(path, memoryBytes, cpus, pids, tmpSizeBytes, this.path, cgroupRoot, cgroupParent,
                startupEstimate, executionEfficiency, costPerHour, openFiles, fileSizeBytes, cpuTime, launcher, network,
                readOnlyPaths, prespawn);
    }

    SandboxSettings withNetwork(Network resolved) {
        return new SandboxSettings(bwrap, memoryBytes, cpus, pids, tmpSizeBytes, path, cgroupRoot, cgroupParent,
                startupEstimate, executionEfficiency, costPerHour, openFiles, fileSizeBytes, cpuTime, launcher, resolved,
                readOnlyPaths, prespawn);
    }

    SandboxSettings withLauncher(String resolved) {
        return new SandboxSettings(bwrap, memoryBytes, cpus, pids, tmpSizeBytes, path, cgroupRoot, cgroupParent,
                startupEstimate, executionEfficiency, costPerHour, openFiles, fileSizeBytes, cpuTime, resolved, network,
                readOnlyPaths, prespawn);
    }

    /**
     * What a networked sandbox needs on the host, and the denied ranges the configuration opens on purpose.
     *
     * @param slirp4netns the user-mode network ({@code slirp4netns}: looked up on PATH when the network starts)
     * @param nsenter     enters the sandbox's network namespace to load the rules
     * @param nft         loads them
     * @param openCidrs   {@code open-cidrs}: ranges of {@link dev.stagecraft.api.EgressPolicy#DENIED_RANGES} that
     *                    networked sandboxes may reach after all
     */
    record Network(String slirp4netns, String nsenter, String nft, java.util.List<dev.stagecraft.api.Cidr> openCidrs) {
    }

    boolean directLaunch() {
        return launcher.equals(DIRECT);
    }

    static SandboxSettings from(Settings s) {
        long memory = s.bytes("memory", 512L << 20);
        if (memory < (4L << 20)) {
            throw s.invalid("memory", "must be at least 4m");
        }
        double cpus = s.number("cpus", 1.0);
        if (cpus < 0.01 || cpus > 1024) {
            throw s.invalid("cpus", cpus + " is out of range [0.01, 1024]");
        }
        long tmp = s.bytes("tmp-size", 64L << 20);
        if (tmp < (1L << 20)) {
            throw s.invalid("tmp-size", "must be at least 1m");
        }
        String parent = s.string("cgroup-parent", "stagecraft");
        if (!parent.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || parent.contains("..")) {
            throw s.invalid("cgroup-parent", "'" + parent + "' must be a relative cgroup path such as stagecraft");
        }
        Duration startup = s.duration("startup-estimate", Duration.ofMillis(1500));
        double cost = s.number("cost-per-hour", 0);
        if (cost < 0) {
            throw s.invalid("cost-per-hour", "must not be negative");
        }
        long fileSize = s.bytes("file-size", DEFAULT_FILE_SIZE);
        if (fileSize < (1L << 20)) {
            throw s.invalid("file-size", "must be at least 1m");
        }
        Duration cpuTime = s.duration("cpu-time", Duration.ZERO);
        if (cpuTime.isNegative() || (!cpuTime.isZero() && cpuTime.toMillis() < 1000)) {
            throw s.invalid("cpu-time", "must be 0 (none) or at least 1s");
        }
        String launcher = s.string("launcher", AUTO);
        if (!launcher.equals(AUTO) && !launcher.equals(DIRECT) && !launcher.equals(SHELL)) {
            throw s.invalid("launcher", "'" + launcher + "' must be auto, direct or shell");
        }
        java.util.List<dev.stagecraft.api.Cidr> open = new java.util.ArrayList<>();
        for (String range : s.strings("open-cidrs", java.util.List.of())) {
            try {
                open.add(dev.stagecraft.api.Cidr.parse(range));
            } catch (RuntimeException e) {
                throw s.invalid("open-cidrs", e.getMessage());
            }
        }
        Network network = new Network(s.string("slirp4netns", "slirp4netns"), s.string("nsenter", "nsenter"),
                s.string("nft", "nft"), java.util.List.copyOf(open));
        return new SandboxSettings(s.string("bwrap", "bwrap"), memory, cpus, s.integer("pids", 256, 8, 4_194_304),
                tmp, s.string("path", DEFAULT_PATH), Path.of(s.string("cgroup-root", "/sys/fs/cgroup")), parent,
                startup, (int) s.integer("execution-efficiency", 6, 0, 10), cost,
                s.integer("open-files", DEFAULT_OPEN_FILES, 16, 1_048_576), fileSize, cpuTime, launcher, network,
                ReadOnlyPaths.from(s), s.bool("prespawn", true));
    }
}
