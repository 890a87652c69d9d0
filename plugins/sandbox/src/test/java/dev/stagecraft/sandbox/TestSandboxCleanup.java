package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.Deadline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Destroy leaves nothing: no cgroup, no directory, no process. */
class TestSandboxCleanup {
    @TempDir
    Path stateDir;

    @Test
    void destroyLeavesNothingBehind() throws IOException {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        List<Path> cgroupDirs = env.cgroup().procsFiles().stream().map(Path::getParent).toList();
        Path envDir = env.directory().dir();
        assertThat(cgroupDirs).isNotEmpty().allMatch(Files::isDirectory);
        assertThat(cgroupDirs.toString()).contains("stagecraft/" + env.id());

        ExecResult timedOut = env.execute(ExecRequest.builder("sh", "-c", "sleep 300 & sleep 300")
                .timeout(Duration.ofSeconds(1)).build());
        assertThat(timedOut.termination()).isEqualTo(Termination.TIMEOUT);
        Deadline.await(Duration.ofSeconds(5), "cgroup empty after the timeout", () -> env.cgroup().pids().isEmpty());
        env.execute(ExecRequest.of("sh", "-c", "mkdir -p deep/er && ln -s / deep/root && ln -s /etc deep/er/etc"));

        env.destroy();
        assertThat(cgroupDirs).noneMatch(Files::exists);
        assertThat(envDir).doesNotExist();
        assertThat(Path.of("/etc/hostname").toFile().exists() || !Files.exists(Path.of("/etc/hostname"))).isTrue();
        assertThat(Path.of("/etc")).isDirectory();
        assertThat(processesMentioning(envDir.toString())).isEmpty();
        assertThat(provider.discover()).noneMatch(e -> e.id().equals(env.id()));
    }

    @Test
    void stopKillsWhatRunsAndStartRunsAgain() throws Exception {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            var running = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> env.execute(ExecRequest.builder("sleep", "300").timeout(Duration.ofMinutes(5)).build()));
            // the cgroup holds the sandbox made ahead from the start: wait for the command itself
            Deadline.await(Duration.ofSeconds(10), "the command runs", () -> env.cgroup().pids().stream()
                    .anyMatch(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("").endsWith("/sleep")));
            env.stop();
            ExecResult result = running.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(result.termination()).isEqualTo(Termination.ENVIRONMENT_STOPPED);
            assertThat(env.cgroup().pids()).isEmpty();
            assertThat(SandboxFixtures.provider(stateDir).discover()).filteredOn(e -> e.id().equals(env.id()))
                    .singleElement().satisfies(e -> assertThat(e.status().name()).isEqualTo("STOPPED"));
            env.start();
            assertThat(env.execute(ExecRequest.of("echo", "back")).stdoutText()).isEqualTo("back\n");
        } finally {
            env.destroy();
        }
    }

    private static List<Long> processesMentioning(String text) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).contains(text);
                } catch (IOException e) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }
}
