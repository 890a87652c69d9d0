package dev.stagecraft.docker;

import dev.stagecraft.api.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The /etc/hosts of a container without a network. Made with {@code NetworkDisabled} (no libnetwork sandbox, see
 * {@code ContainerCreation}), such a container gets the Engine's empty placeholder, so that even {@code localhost}
 * does not resolve; this file, bind-mounted read-only, has what Docker writes for {@code --network none}. One file
 * for every container, written once into the provider's state directory; only for a local Engine, which can see it.
 */
final class OfflineHosts {
    static final String CONTENT = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            + "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
    static final String TARGET = "/etc/hosts";

    private OfflineHosts() {
    }

    /** The file, written when missing or different; empty for a remote Engine (its host cannot see this one's files). */
    static Optional<Path> file(Path stateDirectory, DockerSettings s) {
        if (!"unix".equals(s.host().getScheme())) {
            return Optional.empty();
        }
        Path file = stateDirectory.resolve("offline-hosts").toAbsolutePath();
        try {
            if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(CONTENT)) {
                return Optional.of(file);
            }
            Files.createDirectories(stateDirectory);
            Path temporary = Files.createTempFile(stateDirectory, "offline-hosts", ".tmp");
            Files.writeString(temporary, CONTENT, StandardCharsets.UTF_8);
            temporary.toFile().setReadable(true, false);
            // a rename: containers already running keep the file they mounted
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(file);
        } catch (IOException e) {
            throw new ProvisioningException("cannot write " + file + " (the /etc/hosts of containers without a network): "
                    + e.getMessage(), e);
        }
    }
}
