package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * usage(): NVML's compute processes count for an environment only when they run in its cgroup, so two environments
 * on one card (two MIG instances of the fake H200) are told apart; utilisation is the device's (none for MIG).
 */
class TestGpuAccounting {
    @TempDir
    Path stateDir;
    @TempDir
    Path hostDir;

    private GpuProvider provider;
    private GpuFixtures.Host host;

    @BeforeEach
    void provider() {
        host = GpuFixtures.host(hostDir, FakeNvml.resource("fake-nvml/h200-mig.data"), 1);
        provider = GpuFixtures.provider(stateDir, host);
        BackendRequirement.require(provider);
    }

    @AfterEach
    void close() {
        provider.discover().forEach(ExecutionEnvironment::destroy);
        provider.close();
    }

    @Test
    void twoEnvironmentsOnOneCardAreToldApart() throws Exception {
        ExecutionEnvironment a = provider.create(GpuFixtures.spec(1));
        ExecutionEnvironment b = provider.create(GpuFixtures.spec(1));
        String migA = uuid(a);
        String migB = uuid(b);
        assertThat(migA).isNotEqualTo(migB);
        CompletableFuture<?> runningA = sleepIn(a);
        CompletableFuture<?> runningB = sleepIn(b);
        long pidA = awaitPidIn(a);
        long pidB = awaitPidIn(b);
        long self = ProcessHandle.current().pid();
        host.nvml().processes(List.of(migA + " " + pidA + " " + (3L << 30), migB + " " + pidB + " " + (5L << 30),
                migA + " " + self + " 12345")); // the last: on a's device, but not in a's cgroup
        ResourceUsage usageA = a.usage();
        ResourceUsage usageB = b.usage();
        assertThat(usageA.gpuMemoryBytes()).isEqualTo(3L << 30);
        assertThat(usageB.gpuMemoryBytes()).isEqualTo(5L << 30);
        assertThat(usageA.gpuPercent()).as("NVML has no utilisation for a MIG instance").isEqualTo(-1);
        assertThat(usageA.memoryBytes()).isPositive();
        a.stop();
        b.stop();
        runningA.join();
        runningB.join();
    }

    @Test
    void wholeGpuUtilisationAndNoProcesses() {
        provider.close();
        host = GpuFixtures.host(hostDir.resolve("whole"), FakeNvml.gpus(1).replace(" 0 0 9 0 0 0 ", " 64 20 9 0 0 0 "), 1);
        provider = GpuFixtures.provider(stateDir, host);
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(1));
        ResourceUsage usage = env.usage();
        assertThat(usage.gpuPercent()).isEqualTo(64.0);
        assertThat(usage.gpuMemoryBytes()).isZero();
    }

    private static String uuid(ExecutionEnvironment env) {
        String label = env.labels().get(GpuSlot.LABEL).orElseThrow();
        return label.substring(0, label.indexOf('@'));
    }

    private static CompletableFuture<?> sleepIn(ExecutionEnvironment env) {
        return CompletableFuture.runAsync(() -> env.execute(ExecRequest.builder("sleep", "30")
                .timeout(Duration.ofSeconds(60)).build()));
    }

    /** The host pid of the {@code sleep} running in {@code env}'s cgroup. */
    private static long awaitPidIn(ExecutionEnvironment env) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            List<Long> found = new ArrayList<>();
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ').trim();
                        String cgroup = Files.readString(p.resolve("cgroup"));
                        if (cmd.equals("sleep 30") && cgroup.contains("/" + env.id())) {
                            found.add(Long.parseLong(p.getFileName().toString()));
                        }
                    } catch (IOException e) {
                        // ended meanwhile
                    }
                }
            }
            if (!found.isEmpty()) {
                return found.get(0);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no sleep in the cgroup of " + env.id());
    }
}
