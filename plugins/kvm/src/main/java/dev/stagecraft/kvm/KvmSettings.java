package dev.stagecraft.kvm;

import dev.stagecraft.api.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/**
 * The provider's configuration, {@code providers.kvm}. Every key has a default; see docs/providers/kvm.md.
 */
record KvmSettings(String uri, String domainType, Path imageDirectory, Path kernel, Path initramfs,
                   String kernelArguments, String machine, long memoryBytes, int vcpus, int maxVcpus,
                   long maxMemoryBytes, Duration bootTimeout, Duration stopTimeout, Optional<Duration> startupEstimate,
                   Optional<Integer> executionEfficiency, String network, long maxOutputBytes, Path logDirectory,
                   Path workspaceImage, Path overlayDirectory, long maxWorkspaceBytes, Map<String, String> images,
                   boolean imagesConfigured, long memoryOverheadBytes, long pids, long tmpBytes, long openFiles,
                   long fileBytes, boolean snapshots, Path snapshotDirectory, int snapshotsKept) {

    static final String DEFAULT_URI = "qemu:///system";
    static final Path DEFAULT_IMAGES = Path.of("/var/lib/stagecraft/kvm/images");
    static final Path DEFAULT_LOGS = Path.of("/var/lib/stagecraft/kvm/logs");
    /**
     * Not under the provider's state directory: QEMU runs as libvirt-qemu and must reach the overlay, and a state
     * directory (a test's temporary folder, a user's home) is often closed to other users.
     */
    static final Path DEFAULT_OVERLAYS = Path.of("/var/lib/stagecraft/kvm/overlays");
    static final Path DEFAULT_SNAPSHOTS = Path.of("/var/lib/stagecraft/kvm/snapshots");

    static KvmSettings from(Settings s) {
        String type = s.string("domain-type", "auto").trim().toLowerCase(Locale.ROOT);
        if (!type.equals("auto") && !type.equals("kvm") && !type.equals("qemu")) {
            throw s.invalid("domain-type", "'" + type + "' is not auto, kvm or qemu");
        }
        Path images = Path.of(s.string("image-directory", DEFAULT_IMAGES.toString()));
        Optional<Duration> estimate = s.has("startup-estimate")
                ? Optional.of(s.duration("startup-estimate", Duration.ofSeconds(30))) : Optional.empty();
        Optional<Integer> efficiency = s.has("execution-efficiency")
                ? Optional.of((int) s.integer("execution-efficiency", 9, 0, 10)) : Optional.empty();
        return new KvmSettings(
                s.string("uri", DEFAULT_URI),
                type,
                images,
                Path.of(s.string("kernel", images.resolve("vmlinuz").toString())),
                Path.of(s.string("initramfs", images.resolve("initrd.img").toString())),
                s.string("kernel-arguments", "console=ttyS0 quiet panic=-1"),
                s.string("machine", "pc"),
                s.bytes("memory", 256L << 20),
                (int) s.integer("vcpus", 1, 1, 256),
                (int) s.integer("max-vcpus", Math.max(1, Runtime.getRuntime().availableProcessors()), 1, 1024),
                s.bytes("max-memory", 8L << 30),
                s.duration("boot-timeout", Duration.ofSeconds(90)),
                s.duration("stop-timeout", Duration.ofSeconds(10)),
                estimate,
                efficiency,
                s.string("network", ""),
                s.bytes("max-output", 1L << 20),
                Path.of(s.string("log-directory", DEFAULT_LOGS.toString())),
                Path.of(s.string("workspace-image", images.resolve("workspace.qcow2").toString())),
                Path.of(s.string("overlay-directory", DEFAULT_OVERLAYS.toString())),
                s.bytes("max-workspace-size", 64L << 30),
                imageTable(s),
                s.has("images"),
                s.bytes("memory-overhead", 128L << 20),
                s.integer("pids", 512, 8, 4_194_304),
                atLeast(s, "tmp-size", 64L << 20, 1L << 20),
                s.integer("open-files", 1024, 16, 1_048_576),
                atLeast(s, "file-size", 1L << 30, 1L << 20),
                s.bool("snapshots", true),
                Path.of(s.string("snapshot-directory", DEFAULT_SNAPSHOTS.toString())),
                (int) s.integer("snapshots-kept", 4, 1, 64));
    }

    /** The limits of an environment's commands: the memory and CPUs asked for, the rest from these settings. */
    GuestLimits limits(long memoryBytes, long cpuQuota) {
        return new GuestLimits(memoryBytes, cpuQuota, pids, tmpBytes, openFiles, fileBytes);
    }

    private static long atLeast(Settings s, String key, long defaultValue, long min) {
        long value = s.bytes(key, defaultValue);
        if (value < min) {
            throw s.invalid(key, "must be at least " + (min >> 20) + "m");
        }
        return value;
    }

    private static Map<String, String> imageTable(Settings s) {
        Map<String, String> table = new TreeMap<>(GuestImage.DEFAULT_TABLE);
        Settings section = s.section("images");
        for (String toolType : section.keys()) {
            String image = section.string(toolType, "").trim();
            if (!image.matches("[A-Za-z0-9][A-Za-z0-9._-]*") && !image.startsWith("/")) {
                throw section.invalid(toolType, "'" + image + "' is neither an image name (minimal, python, ...) nor an"
                        + " absolute path to a root filesystem image");
            }
            table.put(toolType.toLowerCase(Locale.ROOT), image);
        }
        return Map.copyOf(table);
    }
}
