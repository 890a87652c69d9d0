package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.tck.BackendRequirement;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exclusive allocation: across threads, across two processes (a second JVM), after a kill -9 of the process that
 * holds the GPU, and with stale records left by a create that never finished.
 */
class TestGpuAllocation {
    @TempDir
    Path stateDir;
    @TempDir
    Path hostDir;
    @TempDir
    Path otherState;

    private final List<GpuProvider> providers = new ArrayList<>();
    private Process child;

    @AfterEach
    void cleanUp() {
        if (child != null) {
            child.destroyForcibly();
        }
        for (GpuProvider p : providers) {
            p.discover().forEach(ExecutionEnvironment::destroy);
            p.close();
        }
    }

    private GpuProvider provider(Path state, GpuFixtures.Host host, Map<String, ?> settings) {
        GpuProvider p = GpuFixtures.provider(state, host, settings);
        BackendRequirement.require(p);
        providers.add(p);
        return p;
    }

    private Map<String, String> shared() {
        return Map.of("allocation-dir", GpuFixtures.allocations(stateDir).toString());
    }

    @Test
    void concurrentCreatesNeverShareAGpu() throws Exception {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 3);
        GpuProvider one = provider(stateDir, host, shared());
        GpuProvider two = provider(otherState, host, shared());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<ExecutionEnvironment>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            GpuProvider p = i % 2 == 0 ? one : two;
            futures.add(pool.submit(() -> p.create(GpuFixtures.spec(1))));
        }
        Set<String> held = new LinkedHashSet<>();
        int refused = 0;
        for (Future<ExecutionEnvironment> f : futures) {
            try {
                ExecutionEnvironment env = f.get(60, TimeUnit.SECONDS);
                assertThat(held.add(env.labels().get(GpuSlot.LABEL).orElseThrow())).as("a GPU handed out twice").isTrue();
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(ProvisioningException.class).hasMessageContaining("0 of 3 free");
                refused++;
            }
        }
        pool.shutdown();
        assertThat(held).hasSize(3);
        assertThat(refused).isEqualTo(3);
    }

    @Test
    void aSecondProcessIsRefusedInOneLineThenServedAfterTheHolderIsKilledAndReconciled() throws Exception {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 1);
        Path allocations = GpuFixtures.allocations(stateDir);
        String childEnv = startChild(otherState, allocations, "987");
        GpuProvider mine = provider(stateDir, host, shared());

        assertThatThrownBy(() -> mine.create(GpuFixtures.spec(1))).isInstanceOf(ProvisioningException.class)
                .hasMessageMatching("gpu '[^']+': gpu: 1 GPU\\(s\\) asked, 0 of 1 free: " + FakeNvml.uuid(0)
                        + " held by environment " + childEnv + " \\(owner test, process " + child.pid() + "\\)");

        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9 of the holding manager
        awaitNoProcess("sleep 987", Duration.ofSeconds(10));
        assertThatThrownBy(() -> mine.create(GpuFixtures.spec(1))).as("its environment is still there, still holding")
                .hasMessageContaining("held by environment " + childEnv);

        GpuProvider restarted = provider(otherState, host, shared()); // a manager on the dead one's state folder
        List<ExecutionEnvironment> adopted = restarted.discover();
        assertThat(adopted).extracting(ExecutionEnvironment::id).containsExactly(childEnv);
        adopted.get(0).destroy(); // what the reconcile does with an environment of a dead holder
        ExecutionEnvironment mineNow = mine.create(GpuFixtures.spec(1));
        assertThat(mineNow.labels().get(GpuSlot.LABEL)).hasValue(FakeNvml.uuid(0) + "@0");
    }

    @Test
    void staleRecordsOfDeadCreatesAreFreed() throws Exception {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 1);
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path allocations = GpuFixtures.allocations(stateDir);
        Files.createDirectories(allocations);
        Files.writeString(allocations.resolve(FakeNvml.uuid(0)), "environment-id=never-made\nowner=x\nstate-dir="
                + otherState + "\npid=" + dead.pid() + "\nsince=" + Instant.now() + "\n");
        GpuProvider mine = provider(stateDir, host, shared());
        assertThat(mine.create(GpuFixtures.spec(1)).labels().get(GpuSlot.LABEL)).hasValue(FakeNvml.uuid(0) + "@0");
    }

    @Test
    void aRecordOfACreateInProgressIsKept() throws Exception {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 1);
        Path allocations = GpuFixtures.allocations(stateDir);
        Files.createDirectories(allocations);
        Files.writeString(allocations.resolve(FakeNvml.uuid(0)), "environment-id=being-made\nowner=x\nstate-dir="
                + otherState + "\npid=" + ProcessHandle.current().pid() + "\nsince=" + Instant.now() + "\n");
        GpuProvider mine = provider(stateDir, host, shared());
        assertThatThrownBy(() -> mine.create(GpuFixtures.spec(1))).hasMessageContaining("held by environment being-made");
    }

    @Test
    void waitsForAGpuWhenConfiguredTo() throws Exception {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 1);
        GpuProvider mine = provider(stateDir, host, Map.of("allocation-dir", GpuFixtures.allocations(stateDir).toString(),
                "allocation-wait", "20s"));
        ExecutionEnvironment first = mine.create(GpuFixtures.spec(1));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<ExecutionEnvironment> second = pool.submit(() -> mine.create(GpuFixtures.spec(1)));
        Thread.sleep(600);
        assertThat(second).isNotDone();
        first.destroy();
        assertThat(second.get(20, TimeUnit.SECONDS).labels().get(GpuSlot.LABEL)).hasValue(FakeNvml.uuid(0) + "@0");
        pool.shutdown();
    }

    @Test
    void destroyFreesAndDoctorNamesTheHolder() {
        GpuFixtures.Host host = GpuFixtures.host(hostDir, 2);
        GpuProvider mine = provider(stateDir, host, shared());
        ExecutionEnvironment env = mine.create(GpuFixtures.spec(1));
        assertThat(mine.probe().details()).containsEntry("gpu0", "NVIDIA H200, " + FakeNvml.uuid(0)
                + ", 143771 MiB, compute capability 9.0, MIG off, held by environment " + env.id())
                .containsEntry("gpu1", "NVIDIA H200, " + FakeNvml.uuid(1) + ", 143771 MiB, compute capability 9.0, MIG off, free")
                .containsEntry("driver", "580.159.04").containsEntry("cuda", "13.0");
        env.destroy();
        assertThat(GpuFixtures.allocations(stateDir).resolve(FakeNvml.uuid(0))).doesNotExist();
        assertThat(mine.probe().details().get("gpu0")).endsWith(", free");
    }

    /** Starts {@link AllocatingProcess} and returns the id of the environment it made. */
    private String startChild(Path state, Path allocations, String sleepSeconds) throws IOException {
        Set<String> path = new LinkedHashSet<>();
        for (String property : List.of("jdk.module.path", "java.class.path")) {
            String value = System.getProperty(property, "");
            for (String entry : value.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    path.add(entry);
                }
            }
        }
        path.add(Path.of("target/test-classes").toAbsolutePath().toString());
        path.add(Path.of("target/classes").toAbsolutePath().toString());
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                String.join(File.pathSeparator, path), AllocatingProcess.class.getName(), state.toString(),
                hostDir.toString(), allocations.toString(), sleepSeconds);
        child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        child.getOutputStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("created ")) {
                return line.substring("created ".length());
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("the second process made no environment:\n" + seen);
    }

    private static void awaitNoProcess(String commandLine, Duration within) throws Exception {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            List<String> left = new ArrayList<>();
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ').trim();
                        if (cmd.equals(commandLine)) {
                            left.add(p.getFileName().toString());
                        }
                    } catch (IOException e) {
                        // ended meanwhile
                    }
                }
            }
            if (left.isEmpty()) {
                return;
            }
            assertThat(System.nanoTime() - end).as("processes left: " + left).isNegative();
            Thread.sleep(100);
        }
    }
}
