package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.PluginClassLoaders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider as a plugin sees the world: its own classes and runtime libraries (what the zip's lib/ holds), the JDK,
 * and dev.stagecraft.api from the host, nothing else, with the plugin's loader as the thread's context class loader (as
 * the core calls plugins). It must load, find fabric8's JDK HttpClient factory, reach the cluster, and print no slf4j
 * warning.
 */
class TestPluginClassLoader {
    @TempDir
    Path stateDir;

    @Test
    void loadsFromItsOwnLibrariesAndTheApiAlone() throws Exception {
        PrintStream originalErr = System.err;
        ClassLoader originalContext = Thread.currentThread().getContextClassLoader();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (URLClassLoader plugin = PluginClassLoaders.plugin(getClass().getClassLoader(), List.of())) {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            Thread.currentThread().setContextClassLoader(plugin);
            EnvironmentProvider provider = ServiceLoader.load(EnvironmentProvider.class, plugin).stream()
                    .map(ServiceLoader.Provider::get).filter(p -> p.kind().equals("kubernetes")).findFirst().orElseThrow();
            assertThat(provider.getClass().getClassLoader()).isSameAs(plugin);
            assertThat(provider.getClass()).isNotSameAs(KubernetesProvider.class);
            provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.kubernetes",
                    KubernetesFixtures.testSettings())));
            ProviderHealth health;
            try {
                health = provider.probe();
                provider.describe();
            } finally {
                provider.close();
            }
            System.setErr(originalErr);
            assertThat(err.toString(StandardCharsets.UTF_8)).as("nothing on stderr, no slf4j warning").doesNotContain("SLF4J");
            if (!health.available()) {
                BackendRequirement.require(provider);
            }
            assertThat(health.details()).containsKey("version");
        } finally {
            System.setErr(originalErr);
            Thread.currentThread().setContextClassLoader(originalContext);
        }
    }
}
