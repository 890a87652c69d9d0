package dev.stagecraft.sandbox;

import dev.stagecraft.api.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code providers.sandbox.read-only-paths}: host folders or files bound read-only, at the same path, into every
 * sandbox (toolchains installed outside {@code /usr}, such as {@code /opt/python3.12}). Each must be absolute, exist,
 * and be no secret place of the host, by its own name or by where its links lead: not the root, not a home
 * ({@code /root}, {@code /home}), not {@code /etc} or its password files, not a container engine's socket or state,
 * not {@code /proc}, {@code /sys}, {@code /dev}, {@code /run} or {@code /var/run}, not the whole of {@code /tmp}.
 */
final class ReadOnlyPaths {
    static final String KEY = "read-only-paths";
    private static final List<Path> REFUSED = List.of(Path.of("/root"), Path.of("/home"), Path.of("/etc"),
            Path.of("/proc"), Path.of("/sys"), Path.of("/dev"), Path.of("/run"), Path.of("/var/run"), Path.of("/boot"),
            Path.of("/var/lib/docker"), Path.of("/var/lib/containerd"), Path.of("/var/lib/libvirt"));
    /** Shared scratch folders: refused whole (they hold other programs' sockets), a folder of one's own inside is fine. */
    private static final List<Path> REFUSED_WHOLE = List.of(Path.of("/tmp"), Path.of("/var/tmp"), Path.of("/dev/shm"));

    private ReadOnlyPaths() {
    }

    static List<Path> from(Settings s) {
        List<Path> out = new ArrayList<>();
        for (String text : s.strings(KEY, List.of())) {
            Path path = Path.of(text);
            if (!path.isAbsolute() || !path.normalize().equals(path) || text.contains("/..") || text.contains("/./")) {
                throw s.invalid(KEY, "'" + text + "' must be an absolute path without '.' or '..'");
            }
            if (!Files.exists(path)) {
                throw s.invalid(KEY, "'" + text + "' does not exist");
            }
            Path real;
            try {
                real = path.toRealPath();
            } catch (IOException e) {
                throw s.invalid(KEY, "'" + text + "' cannot be resolved: " + e.getMessage());
            }
            for (Path candidate : List.of(path, real)) {
                String why = refusal(candidate);
                if (why != null) {
                    throw s.invalid(KEY, "'" + text + "'" + (candidate == real && !real.equals(path) ? " (really " + real + ")" : "")
                            + " " + why);
                }
            }
            out.add(path);
        }
        return List.copyOf(out);
    }

    /** Why {@code path} may not be shown to a sandbox, or null. */
    static String refusal(Path path) {
        if (path.getNameCount() == 0) {
            return "is the host's root";
        }
        for (Path refused : REFUSED) {
            if (path.startsWith(refused) || refused.startsWith(path)) {
                return "is or holds " + refused + ", which a sandbox must not see";
            }
        }
        if (REFUSED_WHOLE.contains(path)) {
            return "is a shared scratch folder of the host; name a folder of your own inside it";
        }
        if (path.getFileName().toString().endsWith(".sock")) {
            return "is a socket's name; sockets of the host must not reach a sandbox";
        }
        return null;
    }
}
