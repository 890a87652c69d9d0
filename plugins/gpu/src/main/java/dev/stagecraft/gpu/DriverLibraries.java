package dev.stagecraft.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The driver's user-space libraries (libcuda, libnvidia-ml, the PTX JIT, ...) an environment needs to use its GPU.
 * With a configured driver root (e.g. {@code /usr/local/nvidia}) that folder is bound read-only at its own path and
 * its {@code lib64} and {@code lib} go on LD_LIBRARY_PATH. Otherwise they are found in the dynamic linker's cache
 * ({@code ldconfig -p}); those under {@code /usr} are already visible (the sandbox binds /usr read-only), any
 * elsewhere are bound read-only one by one, and their folders go on LD_LIBRARY_PATH.
 */
final class DriverLibraries {
    /** The driver's libraries, by soname prefix (what the container toolkit also mounts for compute). */
    static final List<String> PREFIXES = List.of("libcuda.so", "libcudadebugger.so", "libnvidia-ml.so",
            "libnvidia-ptxjitcompiler.so", "libnvidia-nvvm.so", "libnvidia-gpucomp.so", "libnvidia-cfg.so",
            "libnvidia-opencl.so", "libnvidia-allocator.so", "libnvidia-pkcs11.so");
    private static final Pattern LDCONFIG_LINE = Pattern.compile("^\\s*(\\S+) \\(([^)]*)\\) => (\\S+)\\s*$");

    /** What to add to an environment's command line. */
    record Binding(List<String> bwrapOptions, Map<String, String> variables) {
    }

    private DriverLibraries() {
    }

    static Binding of(Path driverRoot) {
        if (driverRoot != null) {
            return new Binding(List.of("--ro-bind", driverRoot.toString(), driverRoot.toString()),
                    Map.of("LD_LIBRARY_PATH", driverRoot.resolve("lib64") + ":" + driverRoot.resolve("lib")));
        }
        return outsideUsr(fromLdconfig(ldconfigCache()));
    }

    /** The libraries' paths in {@code ldconfig -p} output (64-bit ones only). */
    static List<Path> fromLdconfig(String cache) {
        List<Path> found = new ArrayList<>();
        for (String line : cache.lines().toList()) {
            Matcher m = LDCONFIG_LINE.matcher(line);
            if (m.matches() && (m.group(2).contains("x86-64") || m.group(2).contains("AArch64"))) {
                String name = m.group(1);
                if (PREFIXES.stream().anyMatch(name::startsWith)) {
                    found.add(Path.of(m.group(3)));
                }
            }
        }
        return found;
    }

    static Binding outsideUsr(List<Path> libraries) {
        List<String> options = new ArrayList<>();
        Set<String> folders = new LinkedHashSet<>();
        for (Path library : libraries) {
            if (library.startsWith("/usr")) {
                continue;
            }
            options.addAll(List.of("--ro-bind", library.toString(), library.toString()));
            folders.add(library.getParent().toString());
            try {
                Path real = library.toRealPath();
                if (!real.equals(library)) {
                    options.addAll(List.of("--ro-bind", real.toString(), real.toString()));
                }
            } catch (IOException e) {
                // a dangling link in the cache: bind what is there
            }
        }
        return new Binding(options, folders.isEmpty() ? Map.of() : Map.of("LD_LIBRARY_PATH", String.join(":", folders)));
    }

    private static String ldconfigCache() {
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig", "/sbin/ldconfig.real")) {
            if (!Files.isExecutable(Path.of(ldconfig))) {
                continue;
            }
            try {
                Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                p.getOutputStream().close();
                byte[] out = p.getInputStream().readNBytes(4 << 20);
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return new String(out, StandardCharsets.UTF_8);
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
        return "";
    }
}
