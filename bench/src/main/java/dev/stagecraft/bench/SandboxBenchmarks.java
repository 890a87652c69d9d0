package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.sandbox.SandboxProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Per exec of /bin/true: plain fork/exec, bare bubblewrap, and the sandbox provider's full
 * create + execute + destroy (and execute alone in a live environment). Run by {@link BenchMain}.
 */
@State(Scope.Benchmark)
public class SandboxBenchmarks {
    private static final ExecRequest TRUE = ExecRequest.of("/bin/true");

    private SandboxProvider provider;
    private ExecutionEnvironment warm;
    private Path state;
    private List<String> bareNetworked;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        state = Files.createTempDirectory("stagecraft-bench");
        provider = new SandboxProvider();
        provider.initialize(new ProviderContext("bench", state, Settings.empty("providers.sandbox")));
        warm = provider.create(spec());
        try {
            bareNetworked = BareCommands.bwrapSlirpTrue(state);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        warm.destroy();
        for (ExecutionEnvironment leftover : provider.discover()) {
            leftover.destroy();
        }
    }

    static EnvironmentSpec spec() {
        return spec(EnvironmentRequirement.builder().build());
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "b-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.CONTAINER,
                Labels.of("bench", id, Instant.now(), Duration.ofHours(1)));
    }

    @Benchmark
    public int forkExec() throws Exception {
        return BareCommands.run(List.of("/bin/true"));
    }

    @Benchmark
    public int bareBwrap() throws Exception {
        return BareCommands.run(BareCommands.BWRAP_TRUE);
    }

    @Benchmark
    public int sandboxExec() {
        return check(warm.execute(TRUE));
    }

    @Benchmark
    public int sandboxCreateExecDestroy() {
        ExecutionEnvironment environment = provider.create(spec());
        try {
            return check(environment.execute(TRUE));
        } finally {
            environment.destroy();
        }
    }

    /** bubblewrap with its own network namespace, slirp4netns attached before /bin/true runs: the networked baseline. */
    @Benchmark
    public int bareBwrapSlirp() throws Exception {
        return BareCommands.run(bareNetworked);
    }

    /** A networked sandbox: its own namespace, slirp4netns and the egress rules, then /bin/true, then destroy. */
    @Benchmark
    public int networkedCreateExecDestroy() {
        ExecutionEnvironment environment = provider.create(spec(EnvironmentRequirement.builder().network(true).build()));
        try {
            return check(environment.execute(TRUE));
        } finally {
            environment.destroy();
        }
    }

    private static int check(ExecResult result) {
        if (!result.succeeded()) {
            throw new IllegalStateException("sandboxed /bin/true failed: " + result + ", stderr: " + result.stderrText());
        }
        return result.exitCode();
    }
}
