package dev.stagecraft.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Looks at libvirt's own files for a domain, for the "nothing left behind" checks. */
final class KvmProviderAccess {
    private KvmProviderAccess() {
    }

    /** Files under /etc/libvirt/qemu and /run/libvirt/qemu named after the domain. */
    static List<Path> definedXmlFiles(String domainName) {
        List<Path> found = new java.util.ArrayList<>();
        for (Path dir : List.of(Path.of("/etc/libvirt/qemu"), Path.of("/run/libvirt/qemu"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                found.addAll(files.filter(f -> f.getFileName().toString().startsWith(domainName + "."))
                        .collect(Collectors.toList()));
            } catch (IOException e) {
                throw new AssertionError("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return found;
    }
}
