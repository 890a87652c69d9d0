package dev.stagecraft.kvm;

import dev.stagecraft.tck.Deadline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stops and starts the host's libvirtd for the outage tests, the way distribution's ITKvmRecovery restarts it:
 * SIGTERM and wait until it is gone; start it as scripts/setup.d/30-kvm.sh does (the systemd unit where systemd
 * runs, otherwise under {@code tini -s} so that QEMU processes are reaped at once) and wait until virsh answers.
 */
final class LibvirtdControl {
    /** What scripts/setup.d/30-kvm.sh runs where no systemd does. */
    static final String START_WITHOUT_SYSTEMD = "if command -v tini >/dev/null 2>&1; then"
            + " setsid nohup tini -s -- libvirtd >>/var/log/stagecraft-libvirtd.log 2>&1 </dev/null & else libvirtd -d; fi";

    private LibvirtdControl() {
    }

    static void stop() {
        List<Long> pids = pids();
        if (pids.isEmpty()) {
            throw new AssertionError("no running libvirtd to stop");
        }
        for (long pid : pids) {
            run(10, "kill", "-TERM", Long.toString(pid));
        }
        Deadline.await(Duration.ofSeconds(30), "libvirtd to exit after SIGTERM", () -> pids().isEmpty());
    }

    static void start() {
        if (Files.isDirectory(Path.of("/run/systemd/system"))) {
            run(60, "systemctl", "start", "libvirtd.service");
        } else {
            run(60, "sh", "-c", START_WITHOUT_SYSTEMD);
        }
        Deadline.await(Duration.ofSeconds(60), "libvirtd to answer 'virsh version'", LibvirtdControl::answers);
    }

    /** libvirtd answers afterwards, whatever happened before (for a finally block). */
    static void ensureRunning() {
        if (answers()) {
            return;
        }
        if (pids().isEmpty()) {
            start();
        } else {
            Deadline.await(Duration.ofSeconds(60), "libvirtd to answer 'virsh version'", LibvirtdControl::answers);
        }
    }

    static boolean answers() {
        return exitCode(10, "virsh", "-c", KvmSettings.DEFAULT_URI, "version") == 0;
    }

    static List<Long> pids() {
        return run(10, false, "pgrep", "-x", "libvirtd").output().lines().map(String::trim)
                .filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    }

    private static void run(int seconds, String... argv) {
        run(seconds, true, argv);
    }

    private static int exitCode(int seconds, String... argv) {
        return run(seconds, false, argv).exitCode();
    }

    private record Outcome(int exitCode, String output) {
    }

    /**
     * Runs a command with its output in a file, not a pipe: {@code libvirtd -d} leaves a daemon behind that would
     * keep a pipe open.
     */
    private static Outcome run(int seconds, boolean mustSucceed, String... argv) {
        Path out = null;
        try {
            out = Files.createTempFile("stagecraft-libvirtd-control", ".txt");
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " did not finish within " + seconds + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (mustSucceed && process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", argv) + " failed: " + text);
            }
            return new Outcome(process.exitValue(), text);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temporary file
                }
            }
        }
    }
}
