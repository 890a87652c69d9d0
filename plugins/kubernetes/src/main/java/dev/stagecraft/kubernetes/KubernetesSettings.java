package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The kubernetes provider's section of the configuration, {@code providers.kubernetes}, read once and checked, so a
 * bad value fails with one line naming the key.
 *
 * @param kubeconfig         the kubeconfig file; empty: {@code KUBECONFIG}, then {@code ~/.kube/config}, then the
 *                           in-cluster service account ({@link ClusterClient})
 * @param context            the kubeconfig context; empty: its current context
 * @param namespace          where every object is made
 * @param images             image by tool type; {@code default} for any other tool type
 * @param imagePullPolicy    {@code Always}, {@code IfNotPresent} or {@code Never}
 * @param userKernelClass    the RuntimeClass that gives the user-kernel isolation class (gVisor)
 * @param memoryBytes        the memory limit (and request) of a pod whose requirement names none
 * @param cpus               its CPU limit (and request)
 * @param tmpSizeBytes       the size of the /tmp and /dev/shm tmpfs emptyDirs (each)
 * @param workspaceSizeBytes the size limit of the /workspace emptyDir
 * @param openFiles          most open files of one process (the nofile ulimit of every command)
 * @param fileSizeBytes      largest file one process may write (the fsize ulimit; past it SIGXFSZ kills the writer)
 * @param path               the PATH commands see unless their request sets one
 * @param readyTimeout       how long create waits for the pod to become Ready
 * @param startupEstimate    reported to selection
 * @param executionEfficiency reported to selection (0-10)
 * @param costPerHour        reported to selection
 * @param processes          the nproc ulimit of every command (0: none); it counts the processes of uid 1000 on the
 *                           whole node, not only the pod's, since Kubernetes 1.20 has no per-pod pids limit of its own
 *                           (the kubelet's --pod-max-pids is node-wide configuration)
 * @param networkPolicyEnforced whether the operator vouches that the cluster's network plugin enforces NetworkPolicy;
 *                           without it the kind is always networked ({@code describe().alwaysNetworked()})
 */
record KubernetesSettings(Optional<Path> kubeconfig, Optional<String> context, String namespace, Map<String, String> images,
                          String imagePullPolicy, String userKernelClass, long memoryBytes, double cpus, long tmpSizeBytes,
                          long workspaceSizeBytes, long openFiles, long fileSizeBytes, String path, Duration readyTimeout,
                          Duration startupEstimate, int executionEfficiency, double costPerHour,
                          boolean networkPolicyEnforced, long processes) {
    static final String DEFAULT_KEY = "default";
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** The brief's table of base images by tool type (SEED-BRIEF.md, "Containers"). */
    static final Map<String, String> DEFAULT_IMAGES = Map.of(
            "python", "python:3.11-slim",
            "nodejs", "node:18-alpine",
            "java", "openjdk:17-jre-slim",
            "data_analysis", "jupyter/scipy-notebook",
            "ml_inference", "tensorflow/tensorflow:2.13.0",
            "web_scraping", "selenium/standalone-chrome",
            DEFAULT_KEY, "alpine");

    String imageFor(String toolType) {
        return images.getOrDefault(toolType.toLowerCase(Locale.ROOT), images.get(DEFAULT_KEY));
    }

    /** The requirement's memory and CPUs, or this section's defaults where it names none. */
    Resources limitsFor(EnvironmentRequirement requirement) {
        return requirement.resources().orElse(new Resources(cpus, memoryBytes, 0, 0));
    }

    static KubernetesSettings from(Settings s) {
        String config = s.string("kubeconfig", "");
        String context = s.string("context", "");
        String namespace = s.string("namespace", "default");
        if (!namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw s.invalid("namespace", "'" + namespace + "' is not a namespace name (lowercase letters, digits, '-')");
        }
        Map<String, String> images = new TreeMap<>(DEFAULT_IMAGES);
        Settings table = s.section("images");
        for (String toolType : table.keys()) {
            String image = table.string(toolType, "");
            if (image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
                throw table.invalid(toolType, "'" + image + "' is not an image reference such as python:3.11-slim");
            }
            images.put(toolType.toLowerCase(Locale.ROOT), image);
        }
        String pull = s.string("image-pull-policy", "IfNotPresent");
        if (!pull.matches("Always|IfNotPresent|Never")) {
            throw s.invalid("image-pull-policy", "'" + pull + "' must be Always, IfNotPresent or Never");
        }
        String runtimeClass = s.string("runtime-class", "gvisor");
        if (!runtimeClass.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            throw s.invalid("runtime-class", "'" + runtimeClass + "' is not a RuntimeClass name");
        }
        long memory = s.bytes("memory", 512L << 20);
        if (memory < (6L << 20)) {
            throw s.invalid("memory", "must be at least 6m");
        }
        double cpus = s.number("cpus", 0.5);
        if (cpus < 0.01 || cpus > 1024) {
            throw s.invalid("cpus", cpus + " is out of range [0.01, 1024]");
        }
        long tmp = atLeastOneMebibyte(s, "tmp-size", 100L << 20);
        long workspace = atLeastOneMebibyte(s, "workspace-size", 1L << 30);
        long fileSize = atLeastOneMebibyte(s, "file-size", 1L << 30);
        Duration ready = s.duration("ready-timeout", Duration.ofSeconds(120));
        if (ready.isNegative() || ready.isZero()) {
            throw s.invalid("ready-timeout", "must be positive");
        }
        double cost = s.number("cost-per-hour", 0);
        if (cost < 0) {
            throw s.invalid("cost-per-hour", "must not be negative");
        }
        return new KubernetesSettings(config.isBlank() ? Optional.empty() : Optional.of(Path.of(config)),
                context.isBlank() ? Optional.empty() : Optional.of(context), namespace, Map.copyOf(images), pull,
                runtimeClass, memory, cpus, tmp, workspace, s.integer("open-files", 1024, 16, 1_048_576), fileSize,
                s.string("path", DEFAULT_PATH), ready, s.duration("startup-estimate", Duration.ofSeconds(4)),
                (int) s.integer("execution-efficiency", 8, 0, 10), cost,
                s.bool("network-policy-enforced", false), s.integer("processes", 0, 0, 4_194_304));
    }

    private static long atLeastOneMebibyte(Settings s, String key, long defaultValue) {
        long value = s.bytes(key, defaultValue);
        if (value < (1L << 20)) {
            throw s.invalid(key, "must be at least 1m");
        }
        return value;
    }
}
