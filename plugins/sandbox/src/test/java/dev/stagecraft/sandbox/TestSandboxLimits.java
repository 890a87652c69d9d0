package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.Deadline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup limits hold, and a command that breaks one is reported as killed by it while the host is fine. */
class TestSandboxLimits {
    @TempDir
    Path stateDir;

    @Test
    void memoryPastTheLimitIsKilled() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        ExecutionEnvironment env = provider.create(SandboxFixtures.spec(
                EnvironmentRequirement.builder().memoryBytes(64L << 20).build()));
        try {
            ResourceUsage usage = env.usage();
            assertThat(usage.memoryLimit()).isEqualTo(64L << 20);
            ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                    "x=$(head -c 200000000 /dev/zero | tr '\\000' a); echo ${#x}").timeout(Duration.ofSeconds(60)).build());
            assertThat(result.exitCode()).isNotZero();
            assertThat(result.termination()).isEqualTo(Termination.LIMIT_KILLED);
            assertThat(result.detail()).contains("memory limit 64m");
            assertThat(env.execute(ExecRequest.of("echo", "still here")).stdoutText()).isEqualTo("still here\n");
        } finally {
            env.destroy();
        }
    }

    @Test
    void processLimitStopsAForkFlood() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of("pids", "24"));
        ExecutionEnvironment env = provider.create(SandboxFixtures.spec());
        try {
            ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                    "i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; wait").timeout(Duration.ofSeconds(30)).build());
            assertThat(result.exitCode()).isNotZero();
            assertThat(result.termination()).isEqualTo(Termination.LIMIT_KILLED);
            assertThat(result.detail()).contains("process limit 24");
            Deadline.await(Duration.ofSeconds(5), "no process left", () -> env.usage().pids() == 0);
        } finally {
            env.destroy();
        }
    }

    /** bubblewrap's namespace init stays charged until the host's PID 1 collects it; back-to-back commands must still start. */
    @Test
    void quickCommandsBackToBackAllStartUnderASmallProcessLimit() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of("pids", "12"));
        ExecutionEnvironment env = provider.create(SandboxFixtures.spec());
        try {
            for (int i = 0; i < 40; i++) {
                ExecResult result = env.execute(ExecRequest.of("/bin/true"));
                assertThat(result.termination()).as("command %d: %s", i, result).isEqualTo(Termination.EXITED);
                assertThat(result.exitCode()).isZero();
            }
        } finally {
            env.destroy();
        }
    }

    @Test
    void cpuIsLimitedByQuota() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        ExecutionEnvironment env = provider.create(SandboxFixtures.spec(EnvironmentRequirement.builder().cpus(0.25).build()));
        try {
            env.usage();
            long started = System.nanoTime();
            ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                    "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done").timeout(Duration.ofSeconds(60)).build());
            double wall = (System.nanoTime() - started) / 1e9;
            ResourceUsage usage = env.usage();
            assertThat(result.exitCode()).isZero();
            assertThat(usage.cpuPercent()).as("cpu %% over %.2fs", wall).isBetween(1.0, 40.0);
        } finally {
            env.destroy();
        }
    }
}
