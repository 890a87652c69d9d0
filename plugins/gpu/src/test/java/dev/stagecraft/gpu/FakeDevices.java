package dev.stagecraft.gpu;

import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * NVIDIA's device nodes, made with mknod (root only) in a test's folder with the host's numbers (HOST.md of the GPU
 * fixtures: nvidia<N> 195:N, nvidiactl 195:255, nvidia-uvm 238:0, nvidia-uvm-tools 238:1, nvidia-caps 241:N), and a
 * {@code driver/nvidia-caps/mig-minors} table beside them. No driver answers behind them here: the tests check
 * what an environment is shown, not what a GPU does.
 */
final class FakeDevices {
    private FakeDevices() {
    }

    /** {@code <dir>/dev} with {@code gpus} GPU nodes, the control and uvm nodes, and {@code caps} capability nodes. */
    static Path make(Path dir, int gpus, int caps) {
        Path dev = dir.resolve("dev");
        try {
            Files.createDirectories(dev.resolve("nvidia-caps"));
            for (int i = 0; i < gpus; i++) {
                mknod(dev.resolve("nvidia" + i), 195, i);
            }
            mknod(dev.resolve("nvidiactl"), 195, 255);
            mknod(dev.resolve("nvidia-uvm"), 238, 0);
            mknod(dev.resolve("nvidia-uvm-tools"), 238, 1);
            for (int i = 1; i <= caps; i++) {
                mknod(dev.resolve("nvidia-caps/nvidia-cap" + i), 241, i);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dev;
    }

    /**
     * {@code <dir>/proc/driver/nvidia-caps/mig-minors} for the seven 1g.18gb instances of {@code h200-mig.data} (GPU
     * minor 0, GPU instances 7-13, compute instance 0): gi access minors 3, 5, 7, ..., ci access minors one above.
     */
    static Path migMinors(Path dir) {
        Path proc = dir.resolve("proc");
        StringBuilder table = new StringBuilder("config 1\nmonitor 2\n");
        for (int i = 0; i < 7; i++) {
            int gi = 7 + i;
            table.append("gpu0/gi").append(gi).append("/access ").append(3 + 2 * i).append('\n');
            table.append("gpu0/gi").append(gi).append("/ci0/access ").append(4 + 2 * i).append('\n');
        }
        try {
            Files.createDirectories(proc.resolve("driver/nvidia-caps"));
            Files.writeString(proc.resolve("driver/nvidia-caps/mig-minors"), table);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return proc;
    }

    private static void mknod(Path node, int major, int minor) throws IOException {
        if (Files.exists(node)) {
            return;
        }
        Process p = new ProcessBuilder("mknod", "-m", "0666", node.toString(), "c", Integer.toString(major),
                Integer.toString(minor)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                BackendRequirement.missing("mknod " + node + " failed (root is needed to make device nodes): " + output.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static List<String> names(Path dev) {
        try (var files = Files.list(dev)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
