package dev.stagecraft.sandbox;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.WorkspacePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Host-side file access to a workspace that the code inside may have filled with symlinks. Every component is
 * checked with {@code NOFOLLOW_LINKS} and the final file is opened with {@code O_NOFOLLOW}: a symlink anywhere
 * on the path is refused, whether it points inside or out. The check and the open are two steps, so code
 * running in the environment at that very moment could swap a checked directory for a link; in this sandbox
 * nothing runs between commands (each command's PID namespace dies with it), so that window only exists
 * while a command runs concurrently with the file call.
 */
final class WorkspaceFiles {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private WorkspaceFiles() {
    }

    static byte[] read(Path workspace, String path, long maxBytes) {
        WorkspacePath wp = WorkspacePath.of(path);
        Path file = walk(workspace, wp, false);
        BasicFileAttributes attrs = attributes(file, wp);
        if (attrs == null) {
            throw new StagecraftException(ErrorCode.NOT_FOUND, "no file '" + wp + "' in the workspace");
        }
        if (!attrs.isRegularFile()) {
            throw StagecraftException.invalidRequirement("'" + wp + "' is not a regular file");
        }
        int cap = (int) Math.max(0, Math.min(maxBytes, Integer.MAX_VALUE - 8));
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, NOFOLLOW)) {
            return in.readNBytes(cap);
        } catch (FileSystemException e) {
            throw refusedOrFailed(wp, e);
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read '" + wp + "': " + e.getMessage(), e);
        }
    }

    static void write(Path workspace, String path, byte[] content) {
        WorkspacePath wp = WorkspacePath.of(path);
        Path file = walk(workspace, wp, true);
        BasicFileAttributes attrs = attributes(file, wp);
        if (attrs != null && !attrs.isRegularFile()) {
            throw StagecraftException.invalidRequirement("'" + wp + "' exists and is not a regular file");
        }
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, NOFOLLOW)) {
            out.write(content);
        } catch (FileSystemException e) {
            throw refusedOrFailed(wp, e);
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot write '" + wp + "': " + e.getMessage(), e);
        }
    }

    /** The directory {@code relative} names under the workspace, checked like a file's parents, or the workspace itself. */
    static void checkDirectory(Path workspace, String relative) {
        WorkspacePath wp = WorkspacePath.of(relative);
        Path dir = walk(workspace, wp, false);
        BasicFileAttributes attrs = attributes(dir, wp);
        if (attrs == null || !attrs.isDirectory()) {
            throw StagecraftException.invalidRequirement("working directory '" + wp + "' is not a directory in the workspace");
        }
    }

    /** Deletes a tree without following any symlink in it (they are removed, never their targets). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, NOFOLLOW)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Walks the parent directories of {@code wp}, refusing symlinks; creates missing ones when asked. */
    private static Path walk(Path workspace, WorkspacePath wp, boolean createParents) {
        Path current = workspace;
        List<String> segments = wp.segments();
        for (int i = 0; i < segments.size() - 1; i++) {
            current = current.resolve(segments.get(i));
            BasicFileAttributes attrs = attributes(current, wp);
            if (attrs == null && createParents) {
                try {
                    Files.createDirectory(current);
                } catch (IOException e) {
                    if (!Files.isDirectory(current, NOFOLLOW)) {
                        throw refusedOrFailed(wp, e);
                    }
                }
                attrs = attributes(current, wp);
            }
            if (attrs == null) {
                throw new StagecraftException(ErrorCode.NOT_FOUND, "no directory '"
                        + String.join("/", segments.subList(0, i + 1)) + "' in the workspace");
            }
            if (!attrs.isDirectory()) {
                throw StagecraftException.invalidRequirement("'" + String.join("/", segments.subList(0, i + 1))
                        + "' is not a directory");
            }
        }
        return current.resolve(segments.get(segments.size() - 1));
    }

    /** The attributes of {@code p} itself, null when missing; a symlink is refused. */
    private static BasicFileAttributes attributes(Path p, WorkspacePath wp) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
            if (attrs.isSymbolicLink()) {
                throw new PathEscapeException(wp.relative(), "'" + p.getFileName() + "' is a symbolic link");
            }
            return attrs;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot inspect '" + wp + "': " + e.getMessage(), e);
        }
    }

    private static StagecraftException refusedOrFailed(WorkspacePath wp, IOException e) {
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        if (reason != null && (reason.contains("symbolic links") || reason.contains("ELOOP"))) {
            return new PathEscapeException(wp.relative(), "a symbolic link appeared on the path");
        }
        return new StagecraftException(ErrorCode.EXEC_FAILED, "cannot access '" + wp + "': " + reason, e);
    }
}
