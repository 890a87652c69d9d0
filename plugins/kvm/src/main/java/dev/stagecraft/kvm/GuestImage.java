package dev.stagecraft.kvm;

import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The userland a VM boots into, chosen by tool type ({@code providers.kvm.images.<tool type>}): {@link #MINIMAL},
 * the busybox initramfs alone, or a root filesystem image (an ext4 filesystem, qcow2 or raw) that every VM of it
 * opens read-only, named in the image directory ({@code python} is {@code <image-directory>/python.qcow2}, built by
 * scripts/build-guest-root.sh) or given as an absolute path.
 *
 * @param name the table's value: {@code minimal}, an image name or a path
 * @param root the root filesystem's real file (links resolved: a rebuilt image never changes under a running VM),
 *             empty for the minimal guest
 */
record GuestImage(String name, Optional<Path> root) {
    static final String MINIMAL = "minimal";
    static final String DEFAULT_KEY = "default";
    /** Without configuration: the python image for every tool type, when it has been built. */
    static final Map<String, String> DEFAULT_TABLE = Map.of(DEFAULT_KEY, "python");

    /** The file an image name or path stands for (it may not exist). */
    static Path fileOf(String name, Path imageDirectory) {
        return name.startsWith("/") ? Path.of(name) : imageDirectory.resolve(name + ".qcow2");
    }

    /**
     * The image for a tool type. A configured image that is missing is an error; the unconfigured default
     * ({@code python}) falls back to the minimal guest when it has not been built, as {@code probe()} reports.
     */
    static GuestImage forToolType(String toolType, KvmSettings settings) {
        Map<String, String> table = settings.images();
        String key = toolType.toLowerCase(Locale.ROOT);
        String name = table.getOrDefault(key, table.getOrDefault(DEFAULT_KEY, MINIMAL));
        if (name.equals(MINIMAL)) {
            return new GuestImage(MINIMAL, Optional.empty());
        }
        Path file = fileOf(name, settings.imageDirectory());
        if (!Files.isReadable(file)) {
            if (!settings.imagesConfigured() && name.equals(DEFAULT_TABLE.get(DEFAULT_KEY))) {
                return new GuestImage(MINIMAL, Optional.empty());
            }
            throw StagecraftException.invalidRequirement("the kvm guest image '" + name + "' for tool type '" + toolType
                    + "' is missing: no readable " + file + " (build it: bash scripts/build-guest-root.sh " + name
                    + ", as root)");
        }
        try {
            return new GuestImage(name, Optional.of(file.toRealPath()));
        } catch (IOException e) {
            throw StagecraftException.invalidRequirement("the kvm guest image " + file + " cannot be resolved: " + e.getMessage());
        }
    }

    /** qcow2 or raw, by the file's first bytes (a qcow2 file starts with "QFI\xfb"). */
    String format() {
        Path file = root.orElseThrow();
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'Q' && magic[1] == 'F' && magic[2] == 'I' && (magic[3] & 0xff) == 0xfb
                    ? "qcow2" : "raw";
        } catch (IOException e) {
            return "raw";
        }
    }

    /** What probe() says about the image table: each tool type's image, and whether it is there. */
    static String describe(KvmSettings settings) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> entry : new java.util.TreeMap<>(settings.images()).entrySet()) {
            String name = entry.getValue();
            String state;
            if (name.equals(MINIMAL)) {
                state = "the initramfs userland (busybox, root)";
            } else {
                Path file = fileOf(name, settings.imageDirectory());
                state = Files.isReadable(file) ? file.toString()
                        : "missing " + file + (settings.imagesConfigured() ? "" : ", so the minimal guest is used")
                        + " (bash scripts/build-guest-root.sh " + name + ")";
            }
            out.append(out.length() == 0 ? "" : "; ").append(entry.getKey()).append(": ").append(name).append(" = ").append(state);
        }
        return out.toString();
    }
}
