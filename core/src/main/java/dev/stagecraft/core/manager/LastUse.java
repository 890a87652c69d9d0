package dev.stagecraft.core.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The last use of each environment, where every process sees it. Labels on a backend cannot change after
 * creation, so the core keeps one empty file per environment, {@code <state-dir>/last-use/<id>}, whose
 * modification time is the instant of the last exec, file call or start (while a command runs: its deadline, so
 * that a process that cannot see it running does not count the environment idle). Setting a file's times writes no
 * data (the JDK reads its attributes, then sets the times), so an exec does not get noticeably slower. No file
 * means never used since creation.
 */
final class LastUse {
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path directory;

    LastUse(Path stateDirectory) {
        this.directory = stateDirectory.resolve("last-use");
    }

    /** Best effort: an environment whose use cannot be written is counted from its last use in this process. */
    void record(String id, Instant at) {
        Optional<Path> file = file(id);
        if (file.isEmpty()) {
            return;
        }
        try {
            Files.setLastModifiedTime(file.get(), FileTime.from(at));
        } catch (NoSuchFileException first) {
            try {
                Files.createDirectories(directory);
                Files.write(file.get(), new byte[0]);
                Files.setLastModifiedTime(file.get(), FileTime.from(at));
            } catch (IOException ignored) {
                // counted from this process's memory instead
            }
        } catch (IOException ignored) {
            // counted from this process's memory instead
        }
    }

    /** The later of {@code known} (this process's own record) and what any process wrote down. */
    Instant latest(String id, Instant known) {
        return file(id).flatMap(LastUse::modified).filter(recorded -> recorded.isAfter(known)).orElse(known);
    }

    void forget(String id) {
        file(id).ifPresent(file -> {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a stale file only says "used" about an id that no longer exists
            }
        });
    }

    /** Ids come from backend labels: one that could name a path outside the folder gets no file. */
    private Optional<Path> file(String id) {
        return SAFE_ID.matcher(id).matches() ? Optional.of(directory.resolve(id)) : Optional.empty();
    }

    private static Optional<Instant> modified(Path file) {
        try {
            return Optional.of(Files.getLastModifiedTime(file).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
