package dev.stagecraft.lambda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The deployment package of every function: a zip holding the provider's {@code bootstrap}, mode 0755 (Lambda runs
 * the file only when the zip says it is executable, and {@link java.util.zip.ZipOutputStream} writes no mode: the
 * JDK's zip file system with POSIX attributes does).
 */
final class DeploymentPackage {
    static final String BOOTSTRAP_RESOURCE = "bootstrap";

    private DeploymentPackage() {
    }

    static byte[] withBootstrap() {
        try (InputStream in = DeploymentPackage.class.getResourceAsStream(BOOTSTRAP_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the plugin is missing its resource dev/stagecraft/lambda/bootstrap");
            }
            return zip(Map.of("bootstrap", in.readAllBytes()), "bootstrap");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A zip of {@code files} (name to bytes, names may hold '/'), {@code executable} with mode 0755, the rest 0644. */
    static byte[] zip(Map<String, byte[]> files, String... executable) throws IOException {
        Path temp = Files.createTempFile("stagecraft-lambda-", ".zip");
        Files.delete(temp);
        try {
            Map<String, Object> env = Map.of("create", "true", "enablePosixFileAttributes", "true");
            try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + temp.toUri()), env)) {
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    Path entry = zip.getPath(file.getKey());
                    if (entry.getParent() != null) {
                        Files.createDirectories(entry.getParent());
                    }
                    Files.write(entry, file.getValue());
                    boolean run = java.util.Arrays.asList(executable).contains(file.getKey());
                    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString(run ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            return Files.readAllBytes(temp);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
