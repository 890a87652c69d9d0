package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built stagecraft-VERSION.tar.gz unpacked into a folder, and {@code bin/stagecraft} run from it with a private
 * state directory, as a person would: shared by the integration tests of this package.
 */
final class Distribution {
    /**
     * The locally built test images stand in for the seed's registry images, and pulling is off: no registry is
     * reachable here, so a missing test image says how to build it rather than how the pull failed.
     */
    static final Map<String, String> LOCAL_IMAGES = Map.of(
            "STAGECRAFT_PROVIDERS__DOCKER__IMAGES__PYTHON", "stagecraft/python:3.11",
            "STAGECRAFT_PROVIDERS__DOCKER__IMAGES__DEFAULT", "stagecraft/busybox:latest",
            "STAGECRAFT_PROVIDERS__DOCKER__PULL", "false");

    record Outcome(int exitCode, String out, String err) {
    }

    private final Path work;
    private final Path home;
    private final Path state;

    private Distribution(Path work, Path home, Path state) {
        this.work = work;
        this.home = home;
        this.state = state;
    }

    /** Unpacks the archive the build made (system property {@code stagecraft.distribution}) into {@code work}. */
    static Distribution unpack(Path work) throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("stagecraft.distribution"));
        assertThat(archive).exists();
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", work.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        return new Distribution(work, work.resolve("stagecraft-" + System.getProperty("stagecraft.version")), work.resolve("state"));
    }

    Path home() {
        return home;
    }

    Path state() {
        return state;
    }

    /** {@code bin/stagecraft ARGS} with the private state directory and {@code env} on top, not yet started. */
    ProcessBuilder command(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/stagecraft").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("STAGECRAFT_STATE_DIR", state.toString());
        builder.environment().putAll(env);
        return builder;
    }

    /** A started {@code bin/stagecraft ARGS}, its output going to files read by {@link Started#outcome}. */
    Started start(Map<String, String> env, String... args) throws IOException {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process process = command(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        return new Started(process, String.join(" ", args), out, err);
    }

    /** Runs {@code bin/stagecraft ARGS} to its end (at most two minutes). */
    Outcome run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return start(env, args).outcome(120);
    }

    /** A running command line and the files its output goes to. */
    record Started(Process process, String args, Path out, Path err) {
        Outcome outcome(long seconds) throws IOException, InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                String threads = threadDump();
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("stagecraft " + args + " did not finish within " + seconds + " s; its stderr so far:\n"
                        + errSoFar() + "\nits threads then:\n" + threads);
            }
            return new Outcome(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        }

        /** The threads of the JVM the command line runs in ({@code jcmd PID Thread.print}), to tell where it hangs. */
        private String threadDump() {
            try {
                long pid = process.descendants().filter(p -> p.info().command().orElse("").endsWith("java")).findFirst()
                        .map(ProcessHandle::pid).orElse(process.pid());
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
                String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                dump.waitFor(30, TimeUnit.SECONDS);
                return text.length() > 40_000 ? text.substring(0, 40_000) + "\n[cut]" : text;
            } catch (IOException | InterruptedException | RuntimeException e) {
                return "(no thread dump: " + e + ")";
            }
        }

        /** What it has written to stderr so far. */
        String errSoFar() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }
    }

    /**
     * Fails in CI, skips on a developer's machine, when the provider is not usable here. Asks for up to 90 s: a daemon
     * that an earlier test restarted (dockerd, under the test cluster's kubelet) may need a moment to serve again.
     */
    void requireProvider(String kind, Map<String, String> env) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String reason = "";
        while (true) {
            Outcome doctor = run(env, "doctor", "--json");
            var report = new ObjectMapper().readTree(doctor.out()).findParents("kind").stream()
                    .filter(p -> p.get("kind").asText().equals(kind)).findFirst();
            if (report.isPresent() && report.get().path("available").asBoolean()) {
                return;
            }
            reason = report.map(r -> r.toString()).orElse("not listed: " + doctor.err().strip());
            if (System.nanoTime() > end) {
                break;
            }
            Thread.sleep(3000);
        }
        String why = "the " + kind + " provider is unavailable here (see stagecraft doctor); scripts/install-deps.sh sets it up;"
                + " doctor said: " + reason;
        if (System.getenv("CI") != null) {
            throw new AssertionError(why);
        }
        org.junit.jupiter.api.Assumptions.abort(why + " — skipped because CI is not set");
    }
}
