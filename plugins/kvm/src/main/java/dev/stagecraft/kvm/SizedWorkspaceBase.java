package dev.stagecraft.kvm;

import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * The base of a workspace of the requirement's disk size: the base workspace image with its ext4 filesystem grown or
 * shrunk by {@code resize2fs} on the host, so that the overlay's virtual size and the filesystem the guest mounts are
 * both that size and a write past it fails with ENOSPC in the guest. Built once per size, in
 * {@code <overlay-directory>/bases/<base file>-<bytes>.qcow2}, and never rewritten (overlays of stopped environments
 * point at it); rounded up to a whole MiB so that sizes asked in any unit share a few files.
 *
 * <p>Resized on the host rather than in the guest: the guest's initramfs has no resize2fs, and resizing an empty
 * filesystem once per size is cheaper than at every boot.
 */
final class SizedWorkspaceBase {
    /** Small enough for a scratch workspace, large enough that ext4's own metadata is a small part of it. */
    static final long MIN_BYTES = 128L << 20;
    static final String E2FSPROGS = "apt-get install e2fsprogs";

    private SizedWorkspaceBase() {
    }

    /** Why workspaces cannot be sized here, or empty when they can (overlays themselves are checked elsewhere). */
    static Optional<String> unavailableReason() {
        for (String tool : new String[] {"resize2fs", "tune2fs"}) {
            if (HostTool.find(tool).isEmpty()) {
                return Optional.of("no " + tool + " on the PATH (" + E2FSPROGS + ")");
            }
        }
        return Optional.empty();
    }

    /** The size a requirement's disk size gets: whole MiB; one clear line when out of the provider's bounds. */
    static long sizeFor(long diskBytes, long maxBytes) {
        long rounded = (diskBytes + (1L << 20) - 1) & -(1L << 20);
        if (rounded < MIN_BYTES || rounded > maxBytes) {
            throw StagecraftException.invalidRequirement("disk " + Quantities.formatBytes(diskBytes)
                    + " is outside the kvm provider's workspace sizes (" + Quantities.formatBytes(MIN_BYTES) + " to "
                    + Quantities.formatBytes(maxBytes) + ", providers.kvm.max-workspace-size)");
        }
        return rounded;
    }

    /** The base for a workspace of {@code bytes}: {@code base} itself when it has that size, else the sized copy. */
    static Path of(Path base, long bytes, Path overlayDirectory) {
        try {
            Path real = base.toRealPath();
            if (WorkspaceOverlay.virtualSize(real) == bytes) {
                return real;
            }
            String name = real.getFileName().toString().replaceFirst("\\.(qcow2|raw|img)$", "");
            Path directory = overlayDirectory.resolve("bases");
            Path sized = directory.resolve(name + "-" + bytes + ".qcow2");
            if (Files.isRegularFile(sized)) {
                return sized;
            }
            WorkspaceOverlay.prepareDirectory(overlayDirectory);
            Files.createDirectories(directory);
            build(real, bytes, sized);
            return sized;
        } catch (IOException e) {
            throw new ProvisioningException("cannot make a workspace base of " + Quantities.formatBytes(bytes) + " from "
                    + base + ": " + e.getMessage(), e);
        }
    }

    /** Raw copy, resized, back to qcow2 (only the clusters in use), then put in place at once: two creates may race. */
    private static void build(Path base, long bytes, Path sized) throws IOException {
        String tag = "." + UUID.randomUUID() + ".tmp";
        Path raw = sized.resolveSibling(sized.getFileName() + tag + ".raw");
        Path qcow2 = sized.resolveSibling(sized.getFileName() + tag);
        String what = "make a " + Quantities.formatBytes(bytes) + " workspace base";
        try {
            HostTool.run("qemu-img", WorkspaceOverlay.QEMU_UTILS, what, "convert", "-q", "-f", WorkspaceOverlay.formatOf(base),
                    "-O", "raw", base.toString(), raw.toString());
            long current = Files.size(raw);
            if (bytes > current) {
                HostTool.run("qemu-img", WorkspaceOverlay.QEMU_UTILS, what, "resize", "-q", "-f", "raw", raw.toString(),
                        String.valueOf(bytes));
            }
            // -f: the base was never mounted, so the check resize2fs asks for first has nothing to find
            HostTool.run("resize2fs", E2FSPROGS, what, "-f", raw.toString(), (bytes >> 10) + "K");
            if (bytes < current) {
                HostTool.run("qemu-img", WorkspaceOverlay.QEMU_UTILS, what, "resize", "-q", "-f", "raw", "--shrink",
                        raw.toString(), String.valueOf(bytes));
                // the base's journal (64 MiB for 4 GiB) would take a third of a small disk: the default for the new size
                HostTool.run("tune2fs", E2FSPROGS, what, "-O", "^has_journal", raw.toString());
                HostTool.run("tune2fs", E2FSPROGS, what, "-j", raw.toString());
            }
            HostTool.run("qemu-img", WorkspaceOverlay.QEMU_UTILS, what, "convert", "-q", "-f", "raw", "-O", "qcow2",
                    raw.toString(), qcow2.toString());
            qcow2.toFile().setReadable(true, false);
            try {
                // a link, not a rename: it never replaces a base another create put there first (and overlays use)
                Files.createLink(sized, qcow2);
            } catch (FileAlreadyExistsException raced) {
                // the same bytes, made by a concurrent create
            }
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(qcow2);
        }
    }
}
