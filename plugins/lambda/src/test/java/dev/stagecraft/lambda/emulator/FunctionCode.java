package dev.stagecraft.lambda.emulator;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A deployment package unpacked as Lambda unpacks it into /var/task: each file with the mode the zip records (a
 * {@code bootstrap} the zip does not mark executable is not executable). Sizes are Lambda's: 50 MB zipped (checked by
 * the caller), 250 MB unzipped.
 */
final class FunctionCode {
    static final long MAX_UNZIPPED = 262_144_000L;

    private FunctionCode() {
    }

    static long unpack(byte[] zip, Path into) {
        try {
            Path archive = Files.createTempFile(into.getParent(), "code-", ".zip");
            try {
                Files.write(archive, zip);
                long total = 0;
                Map<String, Object> env = Map.of("enablePosixFileAttributes", "true");
                try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + archive.toUri()), env)) {
                    Path root = fs.getPath("/");
                    List<Path> entries;
                    try (Stream<Path> walk = Files.walk(root)) {
                        entries = walk.toList();
                    }
                    for (Path entry : entries) {
                        Path target = into.resolve(root.relativize(entry).toString()).normalize();
                        if (!target.startsWith(into)) {
                            throw AwsError.invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.");
                        }
                        if (Files.isDirectory(entry)) {
                            Files.createDirectories(target);
                            continue;
                        }
                        Files.createDirectories(target.getParent());
                        Files.copy(entry, target, StandardCopyOption.REPLACE_EXISTING);
                        total += Files.size(target);
                        if (total > MAX_UNZIPPED) {
                            throw AwsError.invalidParameter("Unzipped size must be smaller than " + MAX_UNZIPPED + " bytes");
                        }
                        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(entry);
                        Files.setPosixFilePermissions(target, mode.isEmpty()
                                ? Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)
                                : mode);
                    }
                }
                return total;
            } finally {
                Files.deleteIfExists(archive);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof AwsError error) {
                throw error;
            }
            throw AwsError.invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.");
        }
    }
}
