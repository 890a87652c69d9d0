package dev.stagecraft.gpu;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A second Stagecraft process for {@link TestGpuAllocation}: makes a gpu environment on the fake host, starts a
 * long command in it, says {@code created <id>} and waits to be killed.
 * Arguments: state folder, host folder (of {@link GpuFixtures#host}), allocation folder, seconds the command sleeps.
 */
public final class AllocatingProcess {
    private AllocatingProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path stateDir = Path.of(args[0]);
        Path host = Path.of(args[1]);
        GpuFixtures.Host fake = new GpuFixtures.Host(FakeNvmlAt.of(host.resolve("nvml")), host.resolve("dev"), host.resolve("proc"));
        GpuProvider provider = GpuFixtures.provider(stateDir, fake, Map.of("allocation-dir", args[2]));
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(1));
        Thread command = new Thread(() -> env.execute(ExecRequest.builder("sleep", args[3])
                .timeout(Duration.ofMinutes(5)).build()));
        command.start();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (env.status() != dev.stagecraft.api.EnvironmentStatus.RUNNING && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        System.out.println("created " + env.id());
        System.out.flush();
        command.join();
    }

    /** The fake already installed in a folder. */
    static final class FakeNvmlAt {
        private FakeNvmlAt() {
        }

        static FakeNvml of(Path dir) {
            return FakeNvml.existing(dir.resolve("libnvidia-ml.so.1"));
        }
    }
}
