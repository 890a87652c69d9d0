package com.example.stagecraft.firejail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment's cgroup, seen from the host: what the kit's batteries cannot see from inside, where each command is
 * a pid namespace of its own and a listing of processes finds only its own command's.
 */
class TestFirejailCgroup {
    private static final long MIB = 1L << 20;

    @TempDir
    Path stateDir;
    private FirejailProvider provider;
    private ExecutionEnvironment env;

    @BeforeEach
    void startProvider() {
        provider = newProvider();
        BackendRequirement.require(provider);
        if (!EnvironmentCgroup.available()) {
            BackendRequirement.missing("no cgroup v1 memory and pids hierarchies writable here (run as root)");
        }
        String id = "fj-" + UUID.randomUUID().toString().substring(0, 12);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("cgroup-test")
                .memoryBytes(96 * MIB).cpus(1.5).build();
        env = provider.create(new EnvironmentSpec(id, requirement, IsolationLevel.PROCESS,
                Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, FirejailProvider.KIND)));
    }

    @AfterEach
    void destroy() {
        env.destroy();
    }

    private FirejailProvider newProvider() {
        FirejailProvider p = new FirejailProvider();
        p.initialize(new ProviderContext("tck", stateDir, new Settings("test", "providers.firejail", java.util.Map.of("processes", 48))));
        return p;
    }

    private EnvironmentCgroup cgroup() {
        return EnvironmentCgroup.of(env.id()).orElseThrow();
    }

    @Test
    void theRequirementsLimitsAreWrittenAndEveryCommandJoins() throws Exception {
        Path memory = cgroup().directories().stream().filter(d -> d.toString().contains("/memory/")).findFirst().orElseThrow();
        Path pids = cgroup().directories().stream().filter(d -> d.toString().contains("/pids/")).findFirst().orElseThrow();
        assertThat(memory.getFileName().toString()).isEqualTo(env.id());
        assertThat(memory.getParent().getFileName().toString()).isEqualTo(EnvironmentCgroup.PARENT);
        assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(96 * MIB));
        assertThat(Files.readString(pids.resolve("pids.max")).trim()).isEqualTo("48");
        Path cpu = cgroup().directories().stream().filter(d -> d.toString().contains("/cpu/")).findFirst().orElseThrow();
        assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).trim()).as("1.5 CPUs of 100 ms periods").isEqualTo("150000");
        ExecResult inside = env.execute(ExecRequest.builder("cat", "/proc/self/cgroup").timeout(Duration.ofSeconds(10)).build());
        assertThat(inside.stdoutText()).contains("pids:/" + EnvironmentCgroup.PARENT + "/" + env.id())
                .contains("memory:/" + EnvironmentCgroup.PARENT + "/" + env.id());
    }

    @Test
    void aDetachedChildLeavesNothingInTheCgroupWhenTheRunEnds() {
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "(setsid sh -c 'trap \"\" HUP TERM; echo $$ > daemon.pid;"
                + " exec sleep 876549' </dev/null >/dev/null 2>&1 &); while [ ! -s daemon.pid ]; do sleep 0.05; done;"
                + " kill -0 \"$(cat daemon.pid)\" && echo daemon running").timeout(Duration.ofSeconds(20)).build());
        assertThat(result.stdoutText()).contains("daemon running");
        assertThat(result.exitCode()).isZero();
        assertThat(cgroup().procsFiles()).allSatisfy(procs -> assertThat(Files.readString(procs)).isBlank());
    }

    @Test
    void aCommandEndingLeavesAnotherRunningOneAlone() throws Exception {
        CompletableFuture<ExecResult> longer = CompletableFuture.supplyAsync(() -> env.execute(ExecRequest.builder("sh", "-c",
                "touch started; sleep 2; echo still here").timeout(Duration.ofSeconds(20)).build()));
        while (!longer.isDone() && env.execute(ExecRequest.of("test", "-e", "started")).exitCode() != 0) {
            Thread.sleep(50);
        }
        assertThat(env.execute(ExecRequest.of("true")).exitCode()).as("a short command ends while the other runs").isZero();
        ExecResult result = longer.get(30, TimeUnit.SECONDS);
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.stdoutText()).isEqualTo("still here\n");
    }

    @Test
    void aProviderStartedAfterACrashFindsTheCgroupAndItsDestroyRemovesIt() {
        FirejailProvider restarted = newProvider();
        ExecutionEnvironment found = restarted.discover().stream().filter(e -> e.id().equals(env.id())).findFirst().orElseThrow();
        assertThat(found.usage().memoryLimit()).isEqualTo(96 * MIB);
        assertThat(found.execute(ExecRequest.of("true")).exitCode()).isZero();
        List<Path> dirs = cgroup().directories();
        assertThat(dirs).allMatch(Files::isDirectory);
        found.destroy();
        assertThat(dirs).noneMatch(Files::exists);
        assertThat(newProvider().discover()).noneMatch(e -> e.id().equals(env.id()));
    }
}
