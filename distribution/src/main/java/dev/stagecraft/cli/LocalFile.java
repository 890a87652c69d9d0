package dev.stagecraft.cli;

import dev.stagecraft.api.StagecraftException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The local side of {@code env cp}: a file read whole, at most a size, or written whole through a temporary file
 * renamed into place, so a failed copy leaves what was there. A link at the place written is refused, not followed:
 * a download names its file after a path inside the environment, and must not land somewhere else.
 */
final class LocalFile {
    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private final String given;
    private final long most;
    private Path written;

    LocalFile(String given, long most) {
        this.given = given;
        this.most = most;
    }

    static StagecraftException tooLarge(String what, long most) {
        return StagecraftException.invalidRequirement(what + " is larger than --max-size (" + most
                + " bytes); give a larger --max-size");
    }

    /** The file's own name, kept when it is copied to a folder. */
    String name() {
        Path name = Path.of(given).getFileName();
        return name == null ? given : name.toString();
    }

    byte[] read() {
        Path file = Path.of(given);
        if (!Files.exists(file)) {
            throw StagecraftException.invalidRequirement("no file " + given);
        }
        if (!Files.isRegularFile(file)) {
            throw StagecraftException.invalidRequirement(given + " is not a regular file; env cp copies one file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes((int) most + 1);
            if (content.length > most) {
                throw tooLarge(given, most);
            }
            return content;
        } catch (IOException e) {
            throw StagecraftException.invalidRequirement("cannot read " + given + ": " + reason(e));
        }
    }

    /** Writes {@code content} to the given path, or into it under {@code name} when it is a folder. */
    void write(String name, byte[] content) {
        Path target = Path.of(given);
        if (Files.isDirectory(target)) {
            target = target.resolve(name);
        }
        if (Files.isSymbolicLink(target)) {
            throw StagecraftException.invalidRequirement(target + " is a symbolic link; env cp does not write "
                    + "through links: remove it or name the file it points to");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw StagecraftException.invalidRequirement(target + " exists and is not a regular file");
        }
        Path folder = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) {
            throw StagecraftException.invalidRequirement("no folder " + folder + " to copy into");
        }
        Path partial = null;
        try {
            partial = Files.createTempFile(folder, "." + target.getFileName() + ".", ".part");
            Files.write(partial, content);
            Files.setPosixFilePermissions(partial, Files.exists(target) ? Files.getPosixFilePermissions(target) : NEW_FILE);
            // A rename replaces whatever is at the target, a link planted meanwhile included, without following it.
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written = target;
        } catch (IOException e) {
            throw StagecraftException.invalidRequirement("cannot write " + target + ": " + reason(e));
        } finally {
            deleteQuietly(partial);
        }
    }

    /** The file system's own words: its exceptions' messages are often just the path. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e instanceof AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
    }

    private static void deleteQuietly(Path partial) {
        if (partial == null) {
            return;
        }
        try {
            Files.deleteIfExists(partial);
        } catch (IOException ignored) {
            // the file was moved into place, or cannot be removed either; nothing more to do for it
        }
    }

    @Override
    public String toString() {
        return written == null ? given : written.toString();
    }
}
