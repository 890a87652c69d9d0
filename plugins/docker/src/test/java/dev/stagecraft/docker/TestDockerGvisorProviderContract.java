package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/** The provider contract with gVisor's runsc (isolation class user-kernel), on the busybox test image. */
class TestDockerGvisorProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return DockerFixtures.provider(stateDir);
    }

    @Override
    protected Map<String, String> environmentDefaults() {
        return DockerFixtures.COMMAND_DEFAULTS;
    }

    @Override
    protected EnvironmentRequirement requirement() {
        return super.requirement().toBuilder().isolation(IsolationLevel.USER_KERNEL).build();
    }

    @BeforeEach
    void requireGvisor() {
        DockerFixtures.requireUserKernel((DockerProvider) provider);
        assertThat(newSpec().isolation()).as("the kit's specs ask for gVisor").isEqualTo(IsolationLevel.USER_KERNEL);
    }
}
