package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Settings;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.tck.PluginClassLoaders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider as a plugin sees the world: its classes and runtime libraries (what the zip's lib/ holds), the JDK, and
 * dev.stagecraft.api from the host; the thread's context class loader is the host's, which knows no SDK (as under
 * PF4J). It must load, sign and call the emulator, and print nothing on stderr.
 */
class TestPluginClassLoader {
    @TempDir
    Path stateDir;

    @Test
    void loadsFromItsOwnLibrariesAndTheApiAlone() throws Exception {
        ClassLoader apiOnly = PluginClassLoaders.apiOnly(getClass().getClassLoader());
        PrintStream originalErr = System.err;
        ClassLoader originalContext = Thread.currentThread().getContextClassLoader();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (LambdaEmulator emulator = LambdaFixtures.emulator();
             URLClassLoader plugin = PluginClassLoaders.plugin(getClass().getClassLoader(),
                     List.of("com/fasterxml", "aws-lambda-java"))) {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            Thread.currentThread().setContextClassLoader(apiOnly);
            EnvironmentProvider provider = ServiceLoader.load(EnvironmentProvider.class, plugin).stream()
                    .map(ServiceLoader.Provider::get).filter(p -> p.kind().equals("lambda")).findFirst().orElseThrow();
            assertThat(provider.getClass().getClassLoader()).isSameAs(plugin);
            assertThat(provider.getClass()).isNotSameAs(LambdaProvider.class);
            provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.lambda",
                    LambdaFixtures.settings(emulator, stateDir, LambdaEmulator.Options.SECRET_KEY))));
            ProviderHealth health;
            try {
                health = provider.probe();
                assertThat(provider.discover()).isEmpty();
            } finally {
                provider.close();
            }
            System.setErr(originalErr);
            assertThat(health.available()).as(health.reason()).isTrue();
            assertThat(err.toString(StandardCharsets.UTF_8)).as("nothing on stderr").isEmpty();
        } finally {
            System.setErr(originalErr);
            Thread.currentThread().setContextClassLoader(originalContext);
        }
    }
}
