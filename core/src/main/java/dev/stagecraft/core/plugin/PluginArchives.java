package dev.stagecraft.core.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Unpacks plugin zips (PF4J's {@code classes/} + {@code lib/} layout) into a cache folder outside the
 * distribution, refusing entries that would land outside it, and re-unpacks when the zip changes.
 */
final class PluginArchives {
    private PluginArchives() {
    }

    static Path unpack(Path zip, Path cacheRoot) throws IOException {
        String name = zip.getFileName().toString().replaceFirst("\\.zip$", "");
        Path target = cacheRoot.resolve(name);
        Path stamp = cacheRoot.resolve(name + ".stamp");
        String fingerprint = Files.size(zip) + ":" + Files.getLastModifiedTime(zip).toMillis();
        if (Files.isDirectory(target) && Files.exists(stamp) && Files.readString(stamp).equals(fingerprint)) {
            return target;
        }
        deleteTree(target);
        Files.createDirectories(target);
        try (ZipFile file = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                Path out = target.resolve(entry.getName()).normalize();
                // strictly below the plugin's folder: "../<name>" lands on the folder itself and is refused too
                if (!out.startsWith(target) || out.equals(target)) {
                    throw new IOException("entry '" + entry.getName() + "' would be written outside the plugin folder");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = file.getInputStream(entry)) {
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // leave no half-unpacked plugin behind
            try {
                deleteTree(target);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Files.writeString(stamp, fingerprint);
        return target;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
