package dev.stagecraft.docker;

import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The docker provider's section of the configuration, {@code providers.docker}, read once and checked, so a bad
 * value fails with one line naming the key. Every default is the design brief's (SEED-BRIEF.md, "Containers").
 *
 * @param host                the Engine's address: {@code unix:///path} or {@code tcp://host:port} (plain)
 * @param images              image by tool type; {@code default} for any other tool type
 * @param gpuImages           image by tool type when GPUs are asked for; {@code default} for any other
 * @param pull                whether a missing image is pulled (only where a registry is reachable)
 * @param runcRuntime         the Engine runtime for the container isolation class
 * @param userKernelRuntime   the Engine runtime for the user-kernel isolation class (gVisor)
 * @param gpuRuntime          the Engine runtime of the NVIDIA Container Toolkit: GPU containers run with it, and GPUs
 *                            are offered only when the Engine lists it
 * @param limits              memory and CPUs by tool type; {@code default} for any other tool type
 * @param pids                most processes and threads in one container (runc)
 * @param userKernelPids      the pids limit of a gVisor container's cgroup: it holds gVisor's own Sentry and Gofer
 *                            threads, not the guest's processes, and the Sentry dies when it cannot make a thread
 * @param tmpSizeBytes        size of the tmpfs at /tmp, and of /dev/shm
 * @param openFiles           most open files of one process (the nofile ulimit, soft and hard)
 * @param fileSizeBytes       largest file one process may write (the fsize ulimit; past it SIGXFSZ kills the writer)
 * @param readOnlyRoot        whether the image's root file system is mounted read-only
 * @param uid                 the user commands run as
 * @param gid                 their group
 * @param path                the PATH commands see unless their request sets one
 * @param capabilities        capabilities added back by tool type (all are dropped first)
 * @param initCommand         the container's long-running main process (docker-init is PID 1 above it); empty (the
 *                            default) for the exec agent ({@link AgentScript}), through which commands then run
 * @param readinessCommand    an exec that must succeed before the container is READY
 * @param readinessTimeout    how long create and start wait for the container to become ready
 * @param stopTimeout         how long stop waits after SIGTERM before the Engine sends SIGKILL
 * @param apiTimeout          the longest one Engine API call (not an exec's stream) may take
 * @param startupEstimate     reported to selection
 * @param executionEfficiency reported to selection (0-10)
 * @param costPerHour         reported to selection
 * @param openCidrs           ranges a networked container may reach although they are denied by default (the host's
 *                            own addresses, link-local and private ranges): {@code open-cidrs}, opened on purpose
 */
record DockerSettings(URI host, Map<String, String> images, Map<String, String> gpuImages, boolean pull,
                      String runcRuntime, String userKernelRuntime, String gpuRuntime, Map<String, Limit> limits, long pids, long userKernelPids,
                      long tmpSizeBytes, long openFiles, long fileSizeBytes, boolean readOnlyRoot, int uid, int gid, String path,
                      Map<String, List<String>> capabilities, List<String> initCommand, List<String> readinessCommand,
                      Duration readinessTimeout, Duration stopTimeout, Duration apiTimeout, Duration startupEstimate,
                      int executionEfficiency, double costPerHour, List<Cidr> openCidrs) {
    static final String DEFAULT_HOST = "unix:///var/run/docker.sock";
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    static final String DEFAULT_KEY = "default";
    static final long DEFAULT_OPEN_FILES = 1024;
    static final long DEFAULT_FILE_SIZE = 1L << 30;

    /** The brief's table of base images by tool type. */
    static final Map<String, String> DEFAULT_IMAGES = Map.of(
            "python", "python:3.11-slim",
            "nodejs", "node:18-alpine",
            "java", "openjdk:17-jre-slim",
            "data_analysis", "jupyter/scipy-notebook",
            "ml_inference", "tensorflow/tensorflow:2.13.0",
            "web_scraping", "selenium/standalone-chrome",
            DEFAULT_KEY, "alpine");

    /** The brief's GPU variants. */
    static final Map<String, String> DEFAULT_GPU_IMAGES = Map.of(
            "python", "tensorflow/tensorflow:2.13.0-gpu",
            "ml_inference", "pytorch/pytorch:2.0.1-cuda11.7-cudnn8-runtime",
            DEFAULT_KEY, "nvidia/cuda:12.2.0-runtime-ubuntu22.04");

    /** Memory and CPUs of one tool type. */
    record Limit(long memoryBytes, double cpus) {
    }

    /** The brief's limits: 512 MB / 0.5 CPU, more for the heavier tool types. */
    static final Map<String, Limit> DEFAULT_LIMITS = Map.of(
            DEFAULT_KEY, new Limit(512L << 20, 0.5),
            "data_analysis", new Limit(2L << 30, 1.0),
            "ml_inference", new Limit(4L << 30, 2.0),
            "web_scraping", new Limit(1L << 30, 1.0));

    /** With a configured {@code init-command} the container has no exec agent, and every command is an Engine exec. */
    boolean agent() {
        return initCommand.isEmpty();
    }

    String imageFor(String toolType, boolean gpu) {
        Map<String, String> table = gpu ? gpuImages : images;
        String key = toolType.toLowerCase(Locale.ROOT);
        return table.getOrDefault(key, table.get(DEFAULT_KEY));
    }

    Limit limitFor(String toolType) {
        return limits.getOrDefault(toolType.toLowerCase(Locale.ROOT), limits.get(DEFAULT_KEY));
    }

    /** The requirement's memory and CPUs, or its tool type's {@code limits} where it names none. */
    Resources limitsFor(EnvironmentRequirement requirement) {
        Limit limit = limitFor(requirement.toolType());
        return requirement.resources().orElse(new Resources(limit.cpus(), limit.memoryBytes(), 0, 0));
    }

    List<String> capabilitiesFor(String toolType) {
        return capabilities.getOrDefault(toolType.toLowerCase(Locale.ROOT), capabilities.getOrDefault(DEFAULT_KEY, List.of()));
    }

    String user() {
        return uid + ":" + gid;
    }

    static DockerSettings from(Settings s) {
        String hostText = s.string("host", DEFAULT_HOST);
        URI host;
        try {
            host = URI.create(hostText);
        } catch (IllegalArgumentException e) {
            throw s.invalid("host", "'" + hostText + "' is not an address such as " + DEFAULT_HOST);
        }
        if (!("unix".equals(host.getScheme()) && host.getPath() != null && !host.getPath().isEmpty())
                && !("tcp".equals(host.getScheme()) && host.getHost() != null && host.getPort() > 0)) {
            throw s.invalid("host", "'" + hostText + "' must be unix:///path/to/docker.sock or tcp://host:port");
        }
        Map<String, String> images = imageTable(s, "images", DEFAULT_IMAGES);
        Map<String, String> gpuImages = imageTable(s, "gpu-images", DEFAULT_GPU_IMAGES);

        Map<String, Limit> limits = new TreeMap<>(DEFAULT_LIMITS);
        Settings limitSection = s.section("limits");
        for (String toolType : limitSection.keys()) {
            Settings one = limitSection.section(toolType);
            Limit base = limits.getOrDefault(toolType, DEFAULT_LIMITS.get(DEFAULT_KEY));
            long memory = one.bytes("memory", base.memoryBytes());
            if (memory < (6L << 20)) {
                throw one.invalid("memory", "must be at least 6m (the Engine's minimum)");
            }
            double cpus = one.number("cpus", base.cpus());
            if (cpus < 0.01 || cpus > 1024) {
                throw one.invalid("cpus", cpus + " is out of range [0.01, 1024]");
            }
            limits.put(toolType.toLowerCase(Locale.ROOT), new Limit(memory, cpus));
        }

        long tmp = s.bytes("tmp-size", 100L << 20);
        if (tmp < (1L << 20)) {
            throw s.invalid("tmp-size", "must be at least 1m");
        }
        long fileSize = s.bytes("file-size", DEFAULT_FILE_SIZE);
        if (fileSize < (1L << 20)) {
            throw s.invalid("file-size", "must be at least 1m");
        }
        Map<String, List<String>> capabilities = new TreeMap<>();
        Settings capSection = s.section("capabilities");
        for (String toolType : capSection.keys()) {
            List<String> caps = capSection.strings(toolType, List.of());
            for (String cap : caps) {
                if (!cap.matches("(CAP_)?[A-Z_]+")) {
                    throw capSection.invalid(toolType, "'" + cap + "' is not a capability name such as NET_BIND_SERVICE");
                }
            }
            capabilities.put(toolType.toLowerCase(Locale.ROOT), caps.stream().map(c -> c.replaceFirst("^CAP_", "")).toList());
        }
        List<String> init = s.strings("init-command", List.of());
        if (s.has("init-command") && init.isEmpty()) {
            throw s.invalid("init-command", "must name a program (leave the key out for the exec agent)");
        }
        List<String> readiness = s.strings("readiness-command", List.of("true"));
        if (readiness.isEmpty()) {
            throw s.invalid("readiness-command", "must name a program");
        }
        Duration readinessTimeout = positive(s, "readiness-timeout", Duration.ofSeconds(30));
        Duration stopTimeout = s.duration("stop-timeout", Duration.ofSeconds(2));
        if (stopTimeout.isNegative()) {
            throw s.invalid("stop-timeout", "must not be negative");
        }
        Duration apiTimeout = positive(s, "api-timeout", Duration.ofSeconds(60));
        double cost = s.number("cost-per-hour", 0);
        if (cost < 0) {
            throw s.invalid("cost-per-hour", "must not be negative");
        }
        Settings runtimes = s.section("runtimes");
        String runc = runtimes.string("container", "runc");
        String runsc = runtimes.string("user-kernel", "runsc");
        String nvidia = runtimes.string("gpu", "nvidia");
        for (String key : List.of("container", "user-kernel", "gpu")) {
            if (!runtimes.string(key, "runc").matches("[A-Za-z0-9._-]+")) {
                throw runtimes.invalid(key, "must be a runtime name as `docker info` lists it, e.g. runsc");
            }
        }
        return new DockerSettings(host, images, gpuImages, s.bool("pull", true), runc, runsc, nvidia, Map.copyOf(limits),
                s.integer("pids", 256, 8, 4_194_304), s.integer("user-kernel-pids", 4096, 256, 4_194_304), tmp,
                s.integer("open-files", DEFAULT_OPEN_FILES, 16, 1_048_576), fileSize, s.bool("read-only-root", true),
                (int) s.integer("uid", 1000, 1, 2_147_483_646), (int) s.integer("gid", 1000, 1, 2_147_483_646),
                s.string("path", DEFAULT_PATH), Map.copyOf(capabilities), init, readiness, readinessTimeout, stopTimeout,
                apiTimeout, s.duration("startup-estimate", Duration.ofSeconds(2)),
                (int) s.integer("execution-efficiency", 8, 0, 10), cost, openCidrs(s));
    }

    private static List<Cidr> openCidrs(Settings s) {
        List<Cidr> open = new java.util.ArrayList<>();
        for (String range : s.strings("open-cidrs", List.of())) {
            try {
                open.add(Cidr.parse(range));
            } catch (StagecraftException e) {
                throw s.invalid("open-cidrs", e.getMessage());
            }
        }
        return List.copyOf(open);
    }

    private static Duration positive(Settings s, String key, Duration defaultValue) {
        Duration value = s.duration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            throw s.invalid(key, "must be positive");
        }
        return value;
    }

    private static Map<String, String> imageTable(Settings s, String key, Map<String, String> defaults) {
        Map<String, String> table = new TreeMap<>(defaults);
        Settings section = s.section(key);
        for (String toolType : section.keys()) {
            String image = section.string(toolType, "");
            if (!validImage(image)) {
                throw section.invalid(toolType, "'" + image + "' is not an image reference such as python:3.11-slim");
            }
            table.put(toolType.toLowerCase(Locale.ROOT), image);
        }
        return Map.copyOf(table);
    }

    /**
     * How old a labelled workspace volume without a container and without a holder must be before discover removes
     * it: longer than any create can take between making the volume and making the container (the readiness timeout
     * plus four API calls).
     */
    Duration orphanGrace() {
        return readinessTimeout.plus(apiTimeout.multipliedBy(4));
    }

    static boolean validImage(String image) {
        return image != null && image.matches("[a-z0-9][a-z0-9._/:@-]{0,254}") && !image.contains("..");
    }
}
