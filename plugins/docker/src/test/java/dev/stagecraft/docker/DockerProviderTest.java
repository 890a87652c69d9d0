package dev.stagecraft.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A provider on the real Engine for each test, and every environment a test made destroyed after it. */
abstract class DockerProviderTest {
    @TempDir
    Path stateDir;

    DockerProvider provider;
    final List<ExecutionEnvironment> made = new ArrayList<>();

    @BeforeEach
    void start() {
        provider = DockerFixtures.provider(stateDir);
        BackendRequirement.require(provider);
    }

    @AfterEach
    void cleanUp() {
        for (ExecutionEnvironment env : made) {
            try {
                env.destroy();
            } catch (RuntimeException ignored) {
                // the test has already failed on it
            }
        }
        if (provider != null) {
            provider.close();
        }
    }

    /** An environment this test owns; with user-kernel isolation, only where runsc is registered (else fails in CI). */
    ExecutionEnvironment create(EnvironmentRequirement requirement, IsolationLevel isolation) {
        if (isolation == IsolationLevel.USER_KERNEL) {
            DockerFixtures.requireUserKernel(provider);
        }
        ExecutionEnvironment env = provider.create(DockerFixtures.spec(requirement, isolation));
        made.add(env);
        return env;
    }

    InspectContainerResponse inspect(ExecutionEnvironment env) {
        return DockerFixtures.client(provider).inspectContainerCmd(((DockerEnvironment) env).containerId()).exec();
    }
}
