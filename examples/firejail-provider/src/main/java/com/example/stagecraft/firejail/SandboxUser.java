package com.example.stagecraft.firejail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The account a command runs as, read from /etc/passwd: firejail mounts the workspace over its home. */
record SandboxUser(String name, int uid, int gid, Path home) {
    static Optional<SandboxUser> lookUp(String name) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream()
                    .map(line -> line.split(":", -1))
                    .filter(fields -> fields.length >= 7 && fields[0].equals(name))
                    .findFirst()
                    .map(f -> new SandboxUser(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Path.of(f[5])));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static boolean hostIsRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
