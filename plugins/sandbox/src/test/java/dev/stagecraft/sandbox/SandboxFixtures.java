package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Providers and specs for the sandbox's own tests. */
final class SandboxFixtures {
    private SandboxFixtures() {
    }

    static SandboxProvider provider(Path stateDir) {
        return provider(stateDir, Map.of());
    }

    static SandboxProvider provider(Path stateDir, Map<String, ?> settings) {
        SandboxProvider provider = new SandboxProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.sandbox", settings)));
        return provider;
    }

    /** A provider whose backend works; fails under CI and skips elsewhere when bubblewrap or cgroups are missing. */
    static SandboxProvider usableProvider(Path stateDir, Map<String, ?> settings) {
        SandboxProvider provider = provider(stateDir, settings);
        BackendRequirement.require(provider);
        return provider;
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.CONTAINER,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)));
    }

    /**
     * Compiles the C probe {@code probes/<name>.c} (a test resource) with the host's gcc and returns the binary's
     * bytes. Fails under CI and skips elsewhere when gcc is missing.
     */
    static byte[] compiledProbe(Path workDir, String name) {
        String gcc = Probe.findOnPath("gcc");
        if (!Files.isExecutable(Path.of(gcc))) {
            BackendRequirement.missing("gcc is needed to build the probe " + name + ".c (apt-get install gcc)");
        }
        try (InputStream in = SandboxFixtures.class.getResourceAsStream("/probes/" + name + ".c")) {
            Path source = workDir.resolve(name + ".c");
            Path binary = workDir.resolve(name);
            Files.write(source, in.readAllBytes());
            Process cc = new ProcessBuilder(gcc, "-O1", "-Wall", "-o", binary.toString(), source.toString(), "-lpthread")
                    .redirectErrorStream(true).start();
            cc.getOutputStream().close();
            byte[] output = cc.getInputStream().readNBytes(64 * 1024);
            Assertions.assertTrue(cc.waitFor(60, TimeUnit.SECONDS), "gcc finishes");
            Assertions.assertEquals(0, cc.exitValue(), () -> "gcc " + name + ".c: " + new String(output, StandardCharsets.UTF_8));
            return Files.readAllBytes(binary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code sh -c script} (with {@code args} as $1...) in {@code env}. */
    static dev.stagecraft.api.ExecResult sh(dev.stagecraft.api.ExecutionEnvironment env, Duration timeout, String script,
                                             String... args) {
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of("sh", "-c", script, "sh"));
        argv.addAll(java.util.List.of(args));
        return env.execute(dev.stagecraft.api.ExecRequest.builder(argv.toArray(String[]::new)).timeout(timeout).build());
    }

    /** Destroys {@code env} (when made) and closes {@code provider}: a test's clean-up. */
    static void destroyAndClose(dev.stagecraft.api.ExecutionEnvironment env, SandboxProvider provider) {
        try {
            if (env != null) {
                env.destroy();
            }
        } finally {
            provider.close();
        }
    }

    static EnvironmentSpec spec() {
        return spec(EnvironmentRequirement.builder().build());
    }
}
