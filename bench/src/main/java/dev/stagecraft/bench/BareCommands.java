package dev.stagecraft.bench;

import java.io.IOException;
import java.util.List;

/** The baselines, run the way a careful caller would run them by hand. */
final class BareCommands {
    /** A bubblewrap sandbox comparable to the provider's: every namespace, uid 1000, no capabilities. */
    static final List<String> BWRAP_TRUE = List.of("bwrap", "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000",
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--clearenv", "/bin/true");

    private BareCommands() {
    }

    /** {@code name}'s absolute path on PATH (or the usual system folders); the name itself when not found. */
    static String onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, name))) {
                return java.nio.file.Path.of(dir, name).toString();
            }
        }
        return name;
    }

    /**
     * Compiles the bare networked baseline (resource {@code bench/bwrap-slirp.c}) with the host's gcc into {@code dir}
     * and returns the command that runs /bin/true with it: the sandbox's bubblewrap options, slirp4netns attached.
     */
    static List<String> bwrapSlirpTrue(java.nio.file.Path dir) throws IOException, InterruptedException {
        java.nio.file.Path source = dir.resolve("bwrap-slirp.c");
        java.nio.file.Path binary = dir.resolve("bwrap-slirp");
        try (var in = BareCommands.class.getResourceAsStream("/bench/bwrap-slirp.c")) {
            java.nio.file.Files.write(source, in.readAllBytes());
        }
        run(List.of(onPath("gcc"), "-O1", "-o", binary.toString(), source.toString()));
        List<String> command = new java.util.ArrayList<>(List.of(binary.toString(), onPath("bwrap"), onPath("slirp4netns")));
        command.addAll(BWRAP_TRUE.subList(1, BWRAP_TRUE.size()));
        return command;
    }

    static int run(List<String> command) throws IOException, InterruptedException {
        return run(command, true);
    }

    private static int run(List<String> command, boolean mayRetry) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0 && mayRetry && output.startsWith("bwrap: loopback: ")) {
            // the kernel refused a fresh namespace's loopback address (now and then under concurrent creates): the
            // provider tries such a start once more, and so does the baseline
            return run(command, false);
        }
        if (exit != 0) {
            throw new IllegalStateException(command.get(0) + " exited " + exit + ": " + output.trim());
        }
        return exit;
    }
}
