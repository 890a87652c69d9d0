package dev.stagecraft.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.WorkspacePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * File put/get through the Engine's archive API (tar), confined to the workspace volume.
 *
 * <p>The Engine resolves symlinks in a path inside the container's root, so a symlink planted by the code inside
 * could at worst point at another file of the container, never of the host; the workspace contract is stricter and
 * refuses every symlink. Before a get or put, each directory of the path is statted (the archive GET's
 * {@code X-Docker-Container-Path-Stat} header, read without the body) and a symlink anywhere refuses the
 * operation with {@link PathEscapeException}. The entry a get returns must be a regular file: a symlink or hard
 * link entry is refused, and nothing is ever extracted on the host. A put sends a tar of plain directory and file
 * entries, owned by the command user, that the Engine extracts under {@code /workspace} (chrooted in the container).
 */
final class WorkspaceArchive {
    static final String WORKSPACE = "/workspace";

    // Go's os.FileMode type bits, as the Engine reports them.
    private static final long MODE_DIR = 1L << 31;
    private static final long MODE_SYMLINK = 1L << 27;
    private static final long MODE_TYPE = MODE_DIR | MODE_SYMLINK | (1L << 26) | (1L << 25) | (1L << 24) | (1L << 21) | (1L << 19);

    private final Engine engine;
    private final String containerId;
    private final String environmentId;
    private final int uid;
    private final int gid;

    WorkspaceArchive(Engine engine, String containerId, String environmentId, int uid, int gid) {
        this.engine = engine;
        this.containerId = containerId;
        this.environmentId = environmentId;
        this.uid = uid;
        this.gid = gid;
    }

    /** What the Engine says about one path: absent, or its Go file mode. */
    record Stat(boolean exists, long mode) {
        boolean symlink() {
            return (mode & MODE_SYMLINK) != 0;
        }

        boolean directory() {
            return (mode & MODE_DIR) != 0;
        }

        boolean regular() {
            return (mode & MODE_TYPE) == 0;
        }
    }

    byte[] get(String path, long maxBytes) {
        WorkspacePath wp = WorkspacePath.of(path);
        checkParents(wp, path, false);
        try (EngineConnection c = archiveGet(wp.relative())) {
            Stat stat = statOf(c, wp.relative());
            if (!stat.exists()) {
                throw new StagecraftException(ErrorCode.NOT_FOUND, "no file '" + wp + "' in the workspace of '" + environmentId + "'");
            }
            refuseSymlink(stat, path, wp.relative());
            if (!stat.regular()) {
                throw new StagecraftException(ErrorCode.INVALID_REQUIREMENT, "'" + wp + "' in the workspace of '"
                        + environmentId + "' is not a regular file");
            }
            TarArchiveInputStream tar = new TarArchiveInputStream(c.body());
            TarArchiveEntry entry = tar.getNextEntry();
            if (entry == null) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the Engine sent an empty archive for '" + wp + "'");
            }
            if (entry.isSymbolicLink() || entry.isLink()) {
                throw new PathEscapeException(path, "'" + wp + "' is a link; links are not followed");
            }
            if (!entry.isFile()) {
                throw new StagecraftException(ErrorCode.INVALID_REQUIREMENT, "'" + wp + "' is not a regular file");
            }
            long wanted = Math.min(maxBytes, entry.getSize());
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new StagecraftException(ErrorCode.INVALID_REQUIREMENT, "'" + wp + "' is too large to read at once ("
                        + entry.getSize() + " bytes); give a smaller maxBytes");
            }
            return tar.readNBytes((int) Math.max(0, wanted));
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot read '" + wp + "' from '" + environmentId + "': "
                    + Engine.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    void put(String path, byte[] content) {
        WorkspacePath wp = WorkspacePath.of(path);
        int existing = checkParents(wp, path, true);
        List<String> segments = wp.segments();
        if (existing == segments.size() - 1) {
            Stat stat = stat(wp.relative());
            refuseSymlink(stat, path, wp.relative());
            if (stat.exists() && stat.directory()) {
                throw new StagecraftException(ErrorCode.INVALID_REQUIREMENT, "'" + wp + "' in the workspace of '"
                        + environmentId + "' is a directory");
            }
        }
        byte[] tar;
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(content.length + 4096);
            try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
                out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (int i = existing; i < segments.size() - 1; i++) {
                    TarArchiveEntry dir = new TarArchiveEntry(String.join("/", segments.subList(0, i + 1)) + "/");
                    own(dir, 040755);
                    out.putArchiveEntry(dir);
                    out.closeArchiveEntry();
                }
                TarArchiveEntry file = new TarArchiveEntry(wp.relative());
                own(file, 0100644);
                file.setSize(content.length);
                out.putArchiveEntry(file);
                out.write(content);
                out.closeArchiveEntry();
            }
            tar = bytes.toByteArray();
        } catch (IOException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot build the archive for '" + wp + "': " + e.getMessage(), e);
        }
        try (EngineConnection c = engine.connect()) {
            c.send("PUT", "/containers/" + containerId + "/archive?path=" + Engine.encode(WORKSPACE)
                    + "&noOverwriteDirNonDir=true", Map.of("Content-Type", "application/x-tar", "Connection", "close"), tar);
            if (c.status() / 100 != 2) {
                String message = Engine.engineMessage(c.bodyText(4096));
                throw new StagecraftException(c.status() == 404 ? ErrorCode.NOT_FOUND : ErrorCode.EXEC_FAILED,
                        "cannot write '" + wp + "' into '" + environmentId + "': " + message);
            }
        } catch (IOException e) {
            throw engine.unreachable(e);
        }
    }

    private void own(TarArchiveEntry entry, int mode) {
        entry.setMode(mode);
        entry.setIds(uid, gid);
        entry.setModTime(System.currentTimeMillis());
    }

    /**
     * Stats every directory of {@code wp} from the workspace down; refuses a symlink or a non-directory among them.
     * Returns how many of them exist (the rest do not, from the first missing one on).
     */
    private int checkParents(WorkspacePath wp, String original, boolean missingAllowed) {
        List<String> segments = wp.segments();
        List<String> prefix = new ArrayList<>();
        for (int i = 0; i < segments.size() - 1; i++) {
            prefix.add(segments.get(i));
            String relative = String.join("/", prefix);
            Stat stat = stat(relative);
            if (!stat.exists()) {
                if (missingAllowed) {
                    return i;
                }
                throw new StagecraftException(ErrorCode.NOT_FOUND, "no directory '" + relative + "' in the workspace of '"
                        + environmentId + "'");
            }
            refuseSymlink(stat, original, relative);
            if (!stat.directory()) {
                throw new StagecraftException(ErrorCode.INVALID_REQUIREMENT, "'" + relative + "' in the workspace of '"
                        + environmentId + "' is not a directory");
            }
        }
        return segments.size() - 1;
    }

    private static void refuseSymlink(Stat stat, String original, String relative) {
        if (stat.exists() && stat.symlink()) {
            throw new PathEscapeException(original, "'" + relative + "' is a symlink inside the workspace; symlinks are not followed");
        }
    }

    Stat stat(String relative) {
        try (EngineConnection c = archiveGet(relative)) {
            return statOf(c, relative);
        }
    }

    private EngineConnection archiveGet(String relative) {
        EngineConnection c = null;
        try {
            c = engine.connect();
            c.send("GET", "/containers/" + containerId + "/archive?path=" + Engine.encode(WORKSPACE + "/" + relative),
                    Map.of("Connection", "close"), null);
            return c;
        } catch (IOException e) {
            if (c != null) {
                c.close();
            }
            throw engine.unreachable(e);
        }
    }

    private Stat statOf(EngineConnection c, String relative) {
        if (c.status() == 404) {
            String message = Engine.engineMessage(c.bodyText(4096));
            if (message.toLowerCase().contains("no such container")) {
                throw new StagecraftException(ErrorCode.NOT_FOUND, "environment '" + environmentId + "': " + message);
            }
            return new Stat(false, 0);
        }
        if (c.status() / 100 != 2) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot inspect '" + relative + "' in '" + environmentId
                    + "': " + Engine.engineMessage(c.bodyText(4096)));
        }
        String header = c.header("X-Docker-Container-Path-Stat");
        if (header == null) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "the Engine sent no path stat for '" + relative + "'");
        }
        try {
            JsonNode stat = Engine.json().readTree(new String(Base64.getDecoder().decode(header), StandardCharsets.UTF_8));
            return new Stat(true, stat.path("mode").asLong());
        } catch (IOException | IllegalArgumentException e) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "the Engine sent an unreadable path stat for '" + relative + "'", e);
        }
    }
}
