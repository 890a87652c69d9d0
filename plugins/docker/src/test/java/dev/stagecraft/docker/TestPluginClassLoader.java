package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.BackendRequirement;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider as a plugin sees the world: its own classes and runtime libraries (what the zip's lib/ holds), the JDK,
 * and dev.stagecraft.api from the host, nothing else. It must load, talk to the Engine, and print no slf4j warning.
 */
class TestPluginClassLoader {
    private static final List<String> NOT_IN_THE_ZIP = List.of("junit", "opentest4j", "apiguardian", "assertj", "byte-buddy",
            "stagecraft-provider-tck", "stagecraft-api", "surefire", "test-classes");

    @TempDir
    Path stateDir;

    @Test
    void loadsFromItsOwnLibrariesAndTheApiAlone() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (NOT_IN_THE_ZIP.stream().noneMatch(entry::contains)) {
                urls.add(url(entry));
            }
        }
        ClassLoader host = getClass().getClassLoader();
        ClassLoader apiOnly = new ClassLoader(ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (name.startsWith("dev.stagecraft.api.")) {
                    return host.loadClass(name);
                }
                throw new ClassNotFoundException(name);
            }
        };
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (URLClassLoader plugin = new URLClassLoader(urls.toArray(URL[]::new), apiOnly)) {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            EnvironmentProvider provider = ServiceLoader.load(EnvironmentProvider.class, plugin).stream()
                    .map(ServiceLoader.Provider::get).filter(p -> p.kind().equals("docker")).findFirst().orElseThrow();
            assertThat(provider.getClass().getClassLoader()).isSameAs(plugin);
            assertThat(provider.getClass()).isNotSameAs(DockerProvider.class);
            provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.docker", Map.of())));
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
            assertThat(health.details()).containsKey("engine");
        } finally {
            System.setErr(originalErr);
        }
    }

    private static URL url(String entry) {
        try {
            return Path.of(entry).toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
