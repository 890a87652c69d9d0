package dev.stagecraft.gpu;

import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fake NVML of the test resources ({@code fake-nvml/fake_nvml.c}), built once per test run with the host's gcc and
 * installed as {@code libnvidia-ml.so.1} into a test's folder with a data file beside it (each copy is a separate
 * library to the dynamic linker, so tests do not share its state). See the C file for the data format.
 */
final class FakeNvml {
    static final String H200_UUID = "GPU-a7a7a6d1-45a7-17dd-385e-ec2118846216";
    private static Path built;

    private final Path library;

    private FakeNvml(Path library) {
        this.library = library;
    }

    /** The fake in {@code dir}, answering from the resource {@code fake-nvml/<data>}. */
    static FakeNvml install(Path dir, String data) {
        return installText(dir, resource("fake-nvml/" + data));
    }

    /** The fake in {@code dir}, answering from {@code data}. */
    static FakeNvml installText(Path dir, String data) {
        try {
            Files.createDirectories(dir);
            Path library = dir.resolve("libnvidia-ml.so.1");
            if (!Files.exists(library)) {
                Files.copy(build(), library);
            }
            FakeNvml fake = new FakeNvml(library);
            fake.data(data);
            return fake;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The captured H200 repeated {@code count} times, each copy with its own UUID and minor number. */
    static String gpus(int count) {
        String h200 = resource("fake-nvml/h200.data");
        String device = h200.lines().filter(l -> l.startsWith("device ")).findFirst().orElseThrow();
        StringBuilder out = new StringBuilder();
        h200.lines().filter(l -> !l.startsWith("device ")).forEach(l -> out.append(l).append('\n'));
        for (int i = 0; i < count; i++) {
            out.append(device.replace("device 0 ", "device " + i + " ")
                    .replace(H200_UUID, uuid(i))).append('\n');
        }
        return out.toString();
    }

    /** A fake installed earlier (by another process) at {@code library}. */
    static FakeNvml existing(Path library) {
        return new FakeNvml(library);
    }

    /** The UUID of the {@code i}-th GPU of {@link #gpus}: the captured one first. */
    static String uuid(int i) {
        return i == 0 ? H200_UUID : H200_UUID.substring(0, H200_UUID.length() - 4) + String.format("%04x", i);
    }

    Path library() {
        return library;
    }

    void data(String text) {
        write(library.resolveSibling(library.getFileName() + ".data"), text);
    }

    /** Running compute processes, each {@code uuid pid bytes}. */
    void processes(List<String> lines) {
        write(library.resolveSibling(library.getFileName() + ".processes"), String.join("\n", lines) + "\n");
    }

    private static void write(Path file, String text) {
        try {
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temp, text);
            Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resource(String name) {
        try (InputStream in = FakeNvml.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Path build() throws IOException {
        if (built != null) {
            return built;
        }
        Path gcc = List.of(Path.of("/usr/bin/gcc"), Path.of("/usr/local/bin/gcc")).stream().filter(Files::isExecutable)
                .findFirst().orElse(null);
        if (gcc == null) {
            BackendRequirement.missing("gcc is needed to build the fake NVML (apt-get install gcc)");
        }
        Path dir = Files.createTempDirectory("stagecraft-fake-nvml");
        dir.toFile().deleteOnExit();
        Path source = dir.resolve("fake_nvml.c");
        Path library = dir.resolve("libfake-nvml.so");
        Files.writeString(source, resource("fake-nvml/fake_nvml.c"));
        List<String> cmd = new ArrayList<>(List.of(gcc.toString(), "-shared", "-fPIC", "-O1", "-Wall", "-o",
                library.toString(), source.toString(), "-ldl"));
        Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        cc.getOutputStream().close();
        String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
                throw new IllegalStateException("gcc fake_nvml.c failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        library.toFile().deleteOnExit();
        source.toFile().deleteOnExit();
        built = library;
        return built;
    }
}
