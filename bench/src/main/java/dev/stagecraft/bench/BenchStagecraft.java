package dev.stagecraft.bench;

import dev.stagecraft.core.Stagecraft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/** The embedded Stagecraft a benchmark measures through: a state directory of its own, no audit log, its YAML. */
final class BenchStagecraft {
    private BenchStagecraft() {
    }

    /** A Stagecraft configured by {@code yaml} (pools, provider settings) on top of a fresh temporary state directory. */
    static Stagecraft start(String name, String yaml) throws IOException {
        Path state = Files.createTempDirectory("stagecraft-bench-" + name);
        Path config = state.resolve("stagecraft.yaml");
        Files.writeString(config, "state-dir: " + state + "\naudit:\n  enabled: false\n" + yaml);
        return Stagecraft.builder().configFile(config).environment(Map.of()).build();
    }

    /** Waits until warm pool {@code pool} holds at least {@code size} environments; fails after {@code within}. */
    static void awaitPool(Stagecraft stagecraft, String pool, int size, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (stagecraft.manager().warmPools().getOrDefault(pool, 0) < size) {
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException("warm pool '" + pool + "' did not reach " + size + " within " + within
                        + ": " + stagecraft.manager().warmPools());
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
    }
}
