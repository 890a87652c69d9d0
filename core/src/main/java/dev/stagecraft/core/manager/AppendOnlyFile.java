package dev.stagecraft.core.manager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A file written one whole line at a time, shared by the threads of this process and by other processes: each line
 * is appended under a file lock, with the file opened anew (so a rotation that renames it needs no signal). The file
 * is created owner-only (0600): audit records name tenants, keys and commands.
 */
public final class AppendOnlyFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<StandardOpenOption> APPEND = Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
            StandardOpenOption.WRITE);
    // A file lock is held per JVM: two threads locking one file would get an OverlappingFileLockException, so the
    // writers of this process take turns first, then lock against other processes.
    private static final ConcurrentMap<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path file;

    public AppendOnlyFile(Path file) {
        this.file = file.toAbsolutePath().normalize();
    }

    public Path file() {
        return file;
    }

    /** Creates the folder and the file (0600) if missing, so that a writer that must not run unlogged fails early. */
    public void create() throws IOException {
        Files.createDirectories(file.getParent());
        try (FileChannel channel = FileChannel.open(file, APPEND, ownerOnly())) {
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
    }

    /** Appends {@code line} and a newline, whole. */
    public void appendLine(String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (IN_PROCESS.computeIfAbsent(file, key -> new Object())) {
            Files.createDirectories(file.getParent());
            try (FileChannel channel = FileChannel.open(file, APPEND, ownerOnly()); FileLock lock = channel.lock()) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(OWNER_ONLY);
    }
}
