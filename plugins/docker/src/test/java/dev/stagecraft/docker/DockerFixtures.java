package dev.stagecraft.docker;

import com.github.dockerjava.api.DockerClient;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Providers and specs for the docker provider's own tests, on the locally built images (scripts/setup.d/20-docker.sh). */
final class DockerFixtures {
    static final String BUSYBOX = "stagecraft/busybox:latest";
    static final String PYTHON = "stagecraft/python:3.11";
    /** What every command gets on the test images: HOME from their passwd entry for uid 1000, LANG the provider's. */
    static final Map<String, String> COMMAND_DEFAULTS = Map.of("HOME", "/workspace", "LANG", "C.UTF-8");

    private DockerFixtures() {
    }

    /**
     * Settings that map every tool type to the busybox test image, and python to the python test image, with pulling
     * off: the build machines reach no registry, so a missing test image says to run the setup instead of a pull error.
     */
    static Map<String, Object> testSettings() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("images", Map.of("default", BUSYBOX, "python", PYTHON));
        settings.put("pull", false);
        return settings;
    }

    static DockerProvider provider(Path stateDir) {
        return provider(stateDir, testSettings());
    }

    static DockerProvider provider(Path stateDir, Map<String, ?> settings) {
        DockerProvider provider = new DockerProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.docker", settings)));
        return provider;
    }

    /** Fails under CI, skips elsewhere, when the Engine does not offer the gVisor runtime. */
    static void requireUserKernel(DockerProvider provider) {
        if (provider.describe().isolationLevels().contains(IsolationLevel.USER_KERNEL)) {
            return;
        }
        BackendRequirement.missing("the Docker Engine lists no runsc runtime (" + DockerProvider.registerRunscRemedy() + ")");
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement, IsolationLevel isolation) {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, isolation,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)).with(Labels.USER_PREFIX + "suite", "docker"));
    }

    static DockerClient client(DockerProvider provider) {
        return provider.engineForTests().client();
    }
}
