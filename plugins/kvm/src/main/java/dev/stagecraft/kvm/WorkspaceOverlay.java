package dev.stagecraft.kvm;

import dev.stagecraft.api.ProvisioningException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
        if (qemuImg().isEmpty()) {
            return Optional.of("no qemu-img on the PATH (apt-get install qemu-utils)");
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
    private static void prepareDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        }
    }

    private static Optional<Path> qemuImg() {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "qemu-img");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
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

    /** Creates the overlay of {@code base} at {@code overlay} (replacing a leftover of the same name). */
    static void create(Path base, Path overlay) {
        Path qemuImg = qemuImg().orElseThrow(() -> new ProvisioningException(
                "no qemu-img on the PATH to make the workspace overlay (apt-get install qemu-utils)"));
        try {
            prepareDirectory(overlay.getParent());
            Files.deleteIfExists(overlay);
            // the link's target (workspace.qcow2 -> workspace-KEY.qcow2): a rebuilt base gets a new file and the
            // overlays of stopped environments keep the one they were made from
            Path backing = base.toRealPath();
            Process process = new ProcessBuilder(qemuImg.toString(), "create", "-q", "-f", "qcow2",
                    "-b", backing.toString(), "-F", formatOf(backing), overlay.toString())
                    .redirectErrorStream(true).start();
            process.getOutputStream().close();
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new ProvisioningException("qemu-img create of " + overlay + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new ProvisioningException("qemu-img create of " + overlay + " failed (exit "
                        + process.exitValue() + "): " + output.toString(StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new ProvisioningException("cannot make the workspace overlay " + overlay + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("interrupted while making the workspace overlay " + overlay, e);
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
