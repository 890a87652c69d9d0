package dev.stagecraft.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Latency through the service front: an HTTP request to the first byte of output of untrusted
 * {@code python3 -c 'print(1)'} from a warm pool ({@link FrontLevel}), streamed ({@code /v1/run} with NDJSON: the
 * first line is the output) and through MCP ({@code run_code} over {@code /mcp}, whose answer comes whole). At
 * medium (the sandbox) against the same command in bare bubblewrap (process start to the first byte on its stdout),
 * measured in the same run; then at high (docker with gVisor) and critical (a kvm VM) where this host offers them,
 * each through a server whose only kind is that one. {@code iterations x 40} samples each at medium,
 * {@code iterations x 8} at high and critical, p50 and p99.
 */
final class FrontSuite extends BenchSuite {
    /** The docker provider at high, with the Python image the setup builds (no registry needed). */
    private static final String HIGH = "disabled-providers: [sandbox, kvm]\n"
            + "providers:\n  docker:\n    images:\n      python: stagecraft/python:3.11\n";
    private static final String CRITICAL = "disabled-providers: [sandbox, docker]\n";

    private static final String SANDBOX = "disabled-providers: [docker, kvm]\n";
    private final boolean allLevels;

    /** {@code allLevels} false: medium alone ({@code front-medium}), a minute rather than many on a host without KVM. */
    FrontSuite(int iterations, int seconds, int threads, boolean allLevels) {
        super(iterations, seconds, threads);
        this.allLevels = allLevels;
    }

    @Override
    List<String> run() {
        int samples = iterations * 40;
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "== Stagecraft front: request to the first byte of python3 -c 'print(1)'"
                + " from a warm pool, %d samples each at medium, %d at high and critical, same run ==", samples, iterations * 8));
        lines.addAll(medium(samples));
        if (!allLevels) {
            lines.add("  goal: <= 40 ms at the median through the front (medium)");
            return lines;
        }
        // the slower levels get a fifth of the samples: a refill of their pool takes hundreds of milliseconds or more
        lines.addAll(warmLevel("high", "docker, gVisor", HIGH, iterations * 8));
        lines.addAll(warmLevel("critical", Files.exists(Path.of("/dev/kvm")) ? "kvm VM"
                : "kvm VM under QEMU's TCG emulation: this host has no /dev/kvm", CRITICAL, iterations * 8));
        lines.add("  goal: <= 40 ms at the median through the front (medium)");
        return lines;
    }

    /**
     * The sandbox, the only kind offered, so that a python request at medium selects it and matches the pool; and a
     * second server whose sandboxes are made by the command ({@code prespawn: false}), to show what making the first
     * command's sandbox ahead saves.
     */
    private List<String> medium(int samples) {
        try (FrontLevel front = FrontLevel.start("medium", SANDBOX);
             FrontLevel atCommand = FrontLevel.start("medium", SANDBOX + "providers:\n  sandbox:\n    prespawn: false\n")) {
            List<String> bare = new ArrayList<>(BareCommands.BWRAP_TRUE.subList(0, BareCommands.BWRAP_TRUE.size() - 1));
            bare.addAll(List.of("python3", "-c", "print(1)"));
            double[] bareMs = new double[samples];
            double[] runMs = new double[samples];
            double[] mcpMs = new double[samples];
            double[] atCommandMs = new double[samples];
            for (int warmUp = 0; warmUp < 20; warmUp++) {
                bareFirstByte(bare);
                front.run();
                front.mcp();
                atCommand.run();
            }
            for (int i = 0; i < samples; i++) {
                bareMs[i] = bareFirstByte(bare);
                runMs[i] = front.run();
                mcpMs[i] = front.mcp();
                atCommandMs[i] = atCommand.run();
            }
            front.requireAllWarm(2L * samples);
            atCommand.requireAllWarm(samples);
            return List.of("  medium (sandbox, warm pool):",
                    Percentiles.line("bare bwrap (process start to first byte)", bareMs, null),
                    Percentiles.line("POST /v1/run, NDJSON, to the output line", runMs, bareMs),
                    Percentiles.line("MCP tools/call run_code over /mcp (whole answer)", mcpMs, bareMs),
                    Percentiles.line("POST /v1/run, sandbox made by the command (prespawn: false)", atCommandMs, bareMs));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A level measured only where this host offers it: otherwise one line saying why not. */
    private List<String> warmLevel(String security, String what, String yaml, int samples) {
        FrontLevel started;
        try {
            started = FrontLevel.start(security, yaml);
        } catch (IOException | RuntimeException e) {
            return List.of("  " + security + " (" + what + "): not measured, the server did not start: " + e.getMessage());
        }
        try (FrontLevel front = started) {
            Optional<String> unavailable = front.unavailable(Duration.ofMinutes(3));
            if (unavailable.isPresent()) {
                return List.of("  " + security + " (" + what + "): not measured, not available here: " + unavailable.get());
            }
            double[] runMs = new double[samples];
            double[] mcpMs = new double[samples];
            for (int warmUp = 0; warmUp < 5; warmUp++) {
                front.run();
                front.mcp();
            }
            for (int i = 0; i < samples; i++) {
                runMs[i] = front.run();
                mcpMs[i] = front.mcp();
            }
            front.requireAllWarm(2L * samples);
            return List.of("  " + security + " (" + what + ", warm pool):",
                    Percentiles.line("POST /v1/run, NDJSON, to the output line", runMs, null),
                    Percentiles.line("MCP tools/call run_code over /mcp (whole answer)", mcpMs, null));
        }
    }

    /** Process start to the first byte on its stdout; the rest is read and the exit awaited outside the figure. */
    private static double bareFirstByte(List<String> command) {
        try {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            InputStream out = process.getInputStream();
            int first = out.read();
            double ms = (System.nanoTime() - start) / 1e6;
            byte[] rest = out.readAllBytes();
            if (process.waitFor() != 0 || first != '1') {
                throw new IllegalStateException("bare bwrap python3 failed: " + (char) first + new String(rest, StandardCharsets.UTF_8));
            }
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
