package dev.stagecraft.docker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Which process may write to an environment's exec agent: an advisory lock on a file per environment in the provider's
 * state folder, taken for one command at a time. Two processes on this host (two {@code env exec} of one environment)
 * must not write requests to one agent at once: the Engine copies every attached client's bytes into the same stdin,
 * where a long request of one could be cut by the other's. The process that does not get the lock runs its command
 * through an Engine exec, as a second concurrent command in one process does.
 */
final class AgentLocks {
    private final Path directory;
    private volatile boolean made;

    /** {@code directory}: where the lock files are (made on first use); null for none (no cross-process lock). */
    AgentLocks(Path directory) {
        this.directory = directory;
    }

    /** One command's hold on an agent. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The lock of environment {@code id}, or null when another process holds it (or another handle of this process,
     * or the file cannot be made: then the agent is not used, rather than used unguarded).
     */
    Held tryLock(String id) {
        if (directory == null) {
            return () -> { };
        }
        Path file = file(id);
        if (file == null) {
            return null;
        }
        FileChannel channel = null;
        try {
            if (!made) {
                Files.createDirectories(directory);
                made = true;
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return null;
            }
            FileChannel held = channel;
            return () -> {
                try {
                    held.close();
                } catch (IOException e) {
                    // closing releases the lock; nothing else to undo
                }
            };
        } catch (IOException | OverlappingFileLockException e) {
            made = false;   // the folder may have been removed: made again next time
            closeQuietly(channel);
            return null;
        }
    }

    /** Removes the lock file of a destroyed environment. */
    void delete(String id) {
        Path file = directory == null ? null : file(id);
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // an empty file left in the state folder
            }
        }
    }

    /** The lock file of {@code id}; null for an id that is not a plain file name (labels can be set by anyone). */
    private Path file(String id) {
        return id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}") ? directory.resolve(id + ".lock") : null;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // already failing
            }
        }
    }
}
