package dev.stagecraft.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/** The log file a VM's serial console is written to, and what is read back from it when a boot fails. */
final class SerialConsole {
    private SerialConsole() {
    }

    /** The log file of a domain in that directory (made if missing), or empty when it cannot be written there. */
    static Optional<Path> logFor(Path dir, String name) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return Files.isWritable(dir) ? Optional.of(dir.resolve(name + ".log")) : Optional.empty();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The last lines of a VM's serial console, to explain a failed boot. */
    static String tail(Optional<Path> log) {
        if (log.isEmpty() || !Files.isReadable(log.get())) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(log.get(), StandardCharsets.ISO_8859_1);
            List<String> tail = lines.subList(Math.max(0, lines.size() - 15), lines.size());
            return tail.isEmpty() ? "" : "; serial console (" + log.get() + "):\n  " + String.join("\n  ", tail);
        } catch (IOException e) {
            return "";
        }
    }
}
