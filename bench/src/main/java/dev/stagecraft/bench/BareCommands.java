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

    static int run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        process.getInputStream().readAllBytes();
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(command.get(0) + " exited " + exit);
        }
        return exit;
    }
}
