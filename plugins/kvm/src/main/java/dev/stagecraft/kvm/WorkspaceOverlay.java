package dev.stagecraft.kvm;

import dev.stagecraft.api.ProvisioningException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The per-environment workspace disk: a qcow2 copy-on-write overlay of the base workspace image (an empty ext4
 * filesystem built by scripts/build-guest.sh), one file per environment named after its domain,
 * {@code <overlay-directory>/stagecraft-<id>.qcow2}, so that it is found by its name after a crash.
 *
 * <p>Made with {@code qemu-img create} rather than libvirt's storage API: the file then lives in a plain directory
 * of the provider's own, and no libvirt storage pool has to be defined, labelled and reaped besides the domain
 * (libvirt's directory pools run the same qemu-img).
 */
final class WorkspaceOverlay {
    static final String SUFFIX = ".qcow2";
    /** The serial of the workspace disk: the guest's init mounts the virtio disk carrying it at /workspace. */
    static final String DISK_SERIAL = "stagecraft-workspace";
    static final String QEMU_UTILS = "apt-get install qemu-utils";

    private WorkspaceOverlay() {
    }

    /** The overlay file of a domain. */
    static Path pathFor(Path directory, String domainName) {
        return directory.resolve(domainName + SUFFIX);
    }

    /** Whether the file is one of ours by its name (never delete anything else, such as a base image). */
    static boolean isOverlayName(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(DomainXml.NAME_PREFIX) && name.endsWith(SUFFIX)
                && name.length() > DomainXml.NAME_PREFIX.length() + SUFFIX.length();
    }

    /** The domain an overlay file belongs to. */
    static String domainOf(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - SUFFIX.length());
    }

    /** Why overlays cannot be made here, or empty when they can. */
    static Optional<String> unavailableReason(Path base, Path directory) {
        if (!Files.isRegularFile(base) || !Files.isReadable(base)) {
            return Optional.of("no base workspace image at " + base + " (bash scripts/build-guest.sh builds it)");
        }
        if (HostTool.find("qemu-img").isEmpty()) {
            return Optional.of("no qemu-img on the PATH (" + QEMU_UTILS + ")");
        }
        try {
            prepareDirectory(directory);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.of("cannot use the overlay directory " + directory + ": " + e.getMessage());
        }
        if (!Files.isWritable(directory)) {
            return Optional.of("the overlay directory " + directory + " is not writable");
        }
        return Optional.empty();
    }

    /** Makes the directory, traversable by the QEMU process (libvirt runs it as another user, libvirt-qemu). */
    static void prepareDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        }
    }

    /** The base image's format from its first bytes: qcow2 by its magic, raw otherwise. */
    static String formatOf(Path base) throws IOException {
        try (FileChannel channel = FileChannel.open(base, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            channel.read(magic, 0);
            return magic.position() == 4 && magic.getInt(0) == 0x514649fb ? "qcow2" : "raw";
        }
    }

    /** The virtual size of a qcow2 image (its header's size field) or of a raw one (its length). */
    static long virtualSize(Path image) throws IOException {
        if (!formatOf(image).equals("qcow2")) {
            return Files.size(image);
        }
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer size = ByteBuffer.allocate(8);
            channel.read(size, 24);
            return size.getLong(0);
        }
    }

    /**
     * Creates the overlay of {@code base} at {@code overlay} (replacing a leftover of the same name). Its virtual size
     * is the base's: a workspace of another size gets a base of that size ({@link SizedWorkspaceBase}).
     */
    static void create(Path base, Path overlay) {
        try {
            prepareDirectory(overlay.getParent());
            Files.deleteIfExists(overlay);
            // the link's target (workspace.qcow2 -> workspace-KEY.qcow2): a rebuilt base gets a new file and the
            // overlays of stopped environments keep the one they were made from
            Path backing = base.toRealPath();
            HostTool.run("qemu-img", QEMU_UTILS, "make the workspace overlay " + overlay, "create", "-q", "-f", "qcow2",
                    "-b", backing.toString(), "-F", formatOf(backing), overlay.toString());
        } catch (IOException e) {
            throw new ProvisioningException("cannot make the workspace overlay " + overlay + ": " + e.getMessage(), e);
        }
    }

    /** Every overlay file in the directory (none when it does not exist). */
    static List<Path> list(Path directory) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return found;
        }
        try (Stream<Path> files = Files.list(directory)) {
            files.filter(WorkspaceOverlay::isOverlayName).forEach(found::add);
        } catch (IOException e) {
            // unreadable now: the next discover tries again
        }
        return found;
    }

    /** Deletes an overlay file; only files named like overlays are touched. True when it is gone. */
    static boolean delete(Path overlay) {
        if (!isOverlayName(overlay)) {
            return false;
        }
        try {
            Files.deleteIfExists(overlay);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
