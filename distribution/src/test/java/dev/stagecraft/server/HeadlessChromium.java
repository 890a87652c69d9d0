package dev.stagecraft.server;

import dev.stagecraft.tck.BackendRequirement;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's {@code chromium}, run headless ({@code --headless=new}) on a page: its screenshot, or the DOM it rendered.
 * Each run gets a profile folder of its own, which also holds what it would write under the home. {@code --no-sandbox} because the tests run as root here, where Chromium
 * refuses its sandbox; it only loads the server's own page from loopback.
 */
final class HeadlessChromium {
    private static final List<String> NAMES = List.of("chromium", "chromium-browser");
    private static final long TIMEOUT_SECONDS = 90;

    private final Path binary;
    private final Path work;

    private HeadlessChromium(Path binary, Path work) {
        this.binary = binary;
        this.work = work;
    }

    /** The browser on the PATH; missing: fails under CI, skips elsewhere. */
    static HeadlessChromium find(Path work) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : NAMES) {
                Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
                if (Files.isExecutable(candidate)) {
                    return new HeadlessChromium(candidate, work);
                }
            }
        }
        BackendRequirement.missing("chromium is not on the PATH: run scripts/install-deps.sh chromium");
        throw new AssertionError("unreachable");
    }

    /** A PNG of {@code url} in a window of this size. */
    Path screenshot(String url, int width, int height) throws IOException, InterruptedException {
        Path file = work.resolve("page.png");
        run(List.of("--screenshot=" + file, "--window-size=" + width + "," + height, "--hide-scrollbars", url));
        assertThat(file).as("the screenshot chromium was asked to write").exists();
        return file;
    }

    /** The DOM of {@code url} once loaded, serialized as HTML. */
    String dumpDom(String url) throws IOException, InterruptedException {
        return run(List.of("--dump-dom", url));
    }

    /** Runs the browser on one page; its standard output, which must end with exit code 0. */
    private String run(List<String> arguments) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "profile");
        Path output = work.resolve("chromium-stdout.txt");
        Path errors = work.resolve("chromium-stderr.txt");
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profile));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output.toFile()).redirectError(errors.toFile());
        // its crash-report folder and caches go under XDG's folders whatever the profile: keep them out of the home too
        builder.environment().put("XDG_CONFIG_HOME", profile.resolve("config").toString());
        builder.environment().put("XDG_CACHE_HOME", profile.resolve("cache").toString());
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new AssertionError("chromium ran past " + TIMEOUT_SECONDS + " s: " + command);
        }
        assertThat(process.exitValue()).as("chromium's exit code; stderr:%n%s", Files.readString(errors)).isZero();
        return Files.readString(output, StandardCharsets.UTF_8);
    }
}
