package dev.stagecraft.kvm;

import dev.stagecraft.api.ProvisioningException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A host program the provider runs to prepare disk images ({@code qemu-img}, {@code resize2fs}), found on the PATH. */
final class HostTool {
    private HostTool() {
    }

    /** The program's path on the PATH, if it is there. */
    static Optional<Path> find(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin:/usr/sbin:/sbin" : path).split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code name ARGS} to completion within 60 s; a failure throws one line with {@code what}, the exit code and
     * what the program printed. {@code hint} says how to install it when it is missing.
     */
    static void run(String name, String hint, String what, String... args) {
        Path program = find(name).orElseThrow(() -> new ProvisioningException("no " + name + " on the PATH to " + what
                + " (" + hint + ")"));
        List<String> command = new ArrayList<>(List.of(program.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new ProvisioningException(name + " did not " + what + " within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new ProvisioningException(name + " could not " + what + " (exit " + process.exitValue() + "): "
                        + output.toString(StandardCharsets.UTF_8).trim().replace('\n', ' '));
            }
        } catch (IOException e) {
            throw new ProvisioningException("cannot run " + name + " to " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("interrupted while running " + name + " to " + what, e);
        }
    }
}
