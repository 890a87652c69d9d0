package com.example.stagecraft.firejail;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.WorkspacePath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files of a workspace, read and written from the host. Code inside may plant symlinks, so every segment is checked
 * without following links and the file itself is opened with NOFOLLOW; what is made is given to the sandbox user.
 */
final class WorkspaceFiles {
    private final Path workspace;
    private final SandboxUser user;

    WorkspaceFiles(Path workspace, SandboxUser user) {
        this.workspace = workspace;
        this.user = user;
    }

    /** The workspace directory {@code relative} names (a working directory), refusing one reached through a link. */
    Path directory(String relative) {
        WorkspacePath wp = WorkspacePath.of(relative);
        Path dir = workspace;
        for (String segment : wp.segments()) {
            dir = dir.resolve(segment);
            if (Files.isSymbolicLink(dir)) {
                throw new PathEscapeException(relative, "'" + segment + "' is a symbolic link");
            }
        }
        return dir;
    }

    void put(String path, byte[] content) {
        WorkspacePath wp = WorkspacePath.of(path);
        try {
            Path dir = workspace;
            for (String segment : wp.segments().subList(0, wp.segments().size() - 1)) {
                dir = dir.resolve(segment);
                if (Files.isSymbolicLink(dir)) {
                    throw new PathEscapeException(path, "'" + segment + "' is a symbolic link");
                }
                if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(dir);
                    giveToUser(dir);
                }
            }
            Path file = dir.resolve(wp.segments().get(wp.segments().size() - 1));
            if (Files.isSymbolicLink(file)) {
                throw new PathEscapeException(path, "it is a symbolic link");
            }
            Files.write(file, content, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            giveToUser(file);
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot write '" + wp + "': " + e.getMessage(), e);
        }
    }

    byte[] get(String path, long maxBytes) {
        WorkspacePath wp = WorkspacePath.of(path);
        Path file = workspace;
        for (String segment : wp.segments()) {
            file = file.resolve(segment);
            if (Files.isSymbolicLink(file)) {
                throw new PathEscapeException(path, "'" + segment + "' is a symbolic link");
            }
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8));
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read '" + wp + "': " + e.getMessage(), e);
        }
    }

    /** Hands {@code path} to the sandbox user, so that commands inside may change what the host wrote. */
    void giveToUser(Path path) throws IOException {
        if (SandboxUser.hostIsRoot()) {
            Files.setAttribute(path, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }
}
