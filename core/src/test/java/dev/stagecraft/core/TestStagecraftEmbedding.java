package dev.stagecraft.core;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.Termination;
import dev.stagecraft.core.manager.AuditLines;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.manager.SandboxOnHost;
import dev.stagecraft.core.selection.Selection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedding entry point as a library user sees it, over the sandbox found on the class path. */
class TestStagecraftEmbedding {
    @TempDir
    Path state;

    @Test
    void embeddedRunFindsTheSandboxOnTheClassPathAndCleansUp() {
        String id;
        try (Stagecraft stagecraft = Stagecraft.builder().stateDirectory(state).environment(Map.of()).build()) {
            SandboxOnHost.require(stagecraft);
            assertThat(stagecraft.config().stateDirectory()).isEqualTo(state);
            assertThat(stagecraft.config().auditPath()).isEqualTo(state.resolve("audit.jsonl"));
            assertThat(stagecraft.plugins()).isEmpty();
            ProviderReport sandbox = stagecraft.providers().stream().filter(p -> p.kind().equals("sandbox")).findFirst().orElseThrow();
            assertThat(sandbox.origin()).isEqualTo("class path");
            assertThat(sandbox.capabilities()).hasValueSatisfying(c -> assertThat(c.isolationLevels()).containsExactly(IsolationLevel.CONTAINER));

            try (Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {
                id = lease.id();
                ExecResult result = lease.execute(ExecRequest.of("sh", "-c", "echo hi"));
                assertThat(result.stdoutText()).isEqualTo("hi\n");
                assertThat(result.stderrText()).isEmpty();
                assertThat(result.exitCode()).isZero();
                assertThat(result.termination()).isEqualTo(Termination.EXITED);
                assertThat(result.succeeded()).isTrue();
                assertThat(stagecraft.manager().list(Optional.empty(), Map.of())).extracting(i -> i.id()).containsExactly(id);
            }
            assertThat(stagecraft.manager().list(Optional.empty(), Map.of())).isEmpty();
        }
        assertThat(discoverSandboxes()).as("nothing is left on the backend").isEmpty();
        assertThat(AuditLines.actions(state.resolve("audit.jsonl"), id)).containsExactly("create", "create-result", "exec", "exec-result", "destroy");
    }

    @Test
    void selectExplainsTheChoice() {
        try (Stagecraft stagecraft = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false).build()) {
            SandboxOnHost.require(stagecraft);
            Selection selection = stagecraft.select(EnvironmentRequirement.builder().build());
            assertThat(selection.chosenKind()).contains("sandbox");
            assertThat(selection.chosenIsolation()).contains(IsolationLevel.CONTAINER);
            assertThat(selection.explain()).startsWith("selected: sandbox (isolation container)\n").contains("+ sandbox");
        }
    }

    @Test
    void timeoutKillsTheCommand() {
        try (Stagecraft stagecraft = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false).build()) {
            SandboxOnHost.require(stagecraft);
            try (Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {
                ExecResult result = lease.execute(ExecRequest.builder("sh", "-c", "sleep 30").timeout(Duration.ofMillis(500)).build());
                assertThat(result.timedOut()).isTrue();
                assertThat(result.exitCode()).isEqualTo(ExecResult.TIMEOUT_EXIT_CODE);
                assertThat(result.duration()).isLessThan(Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void configurationFileAndDisabledProviders() throws IOException {
        Path home = Files.createDirectories(state.resolve("home"));
        Path config = Files.writeString(home.resolve("stagecraft.yaml"), """
                owner: embedder
                state-dir: var
                disabled-providers: [sandbox]
                """);
        try (Stagecraft stagecraft = Stagecraft.builder().home(home).configFile(config).environment(Map.of()).background(false).build()) {
            assertThat(stagecraft.config().owner()).isEqualTo("embedder");
            assertThat(stagecraft.config().stateDirectory()).isEqualTo(home.resolve("var"));
            assertThat(stagecraft.providers()).extracting(ProviderReport::kind).doesNotContain("sandbox");
            assertThat(stagecraft.select(EnvironmentRequirement.builder().build()).chosenKind()).isEmpty();
        }
    }

    @Test
    void versionComesFromTheBuild() {
        assertThat(Stagecraft.version()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    private List<ExecutionEnvironment> discoverSandboxes() {
        // a fresh provider instance, as a new process would have, found the way the core finds it
        EnvironmentProvider provider = java.util.ServiceLoader.load(EnvironmentProvider.class).stream()
                .map(java.util.ServiceLoader.Provider::get).filter(p -> p.kind().equals("sandbox")).findFirst().orElseThrow();
        provider.initialize(new ProviderContext("local", state.resolve("sandbox"), Settings.empty("providers.sandbox")));
        try {
            return provider.discover();
        } finally {
            provider.close();
        }
    }
}
