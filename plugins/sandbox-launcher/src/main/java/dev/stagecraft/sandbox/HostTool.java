package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool the provider needs (mount, mkfs.ext4, nsenter + nft) with a fixed PATH and nothing else of this
 * JVM's environment, in {@code /}, feeding it {@code stdin}, and fails with the first line it said.
 */
final class HostTool {
    private static final long WAIT_SECONDS = 30;

    private HostTool() {
    }

    /** Runs {@code argv} to its end; throws with its first output line when it fails or outlives the wait. */
    static void run(List<String> argv, String stdin) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true).directory(new java.io.File("/"));
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        byte[] said = process.getInputStream().readNBytes(4096);
        try {
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(argv.get(0) + " did not finish within " + WAIT_SECONDS + "s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0), e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed (exit " + process.exitValue() + "): "
                    + new String(said, StandardCharsets.UTF_8).trim().lines().findFirst().orElse(""));
        }
    }
}
