package dev.stagecraft.docker;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;

/** The provider contract with runc (isolation class container), on the busybox test image. */
class TestDockerProviderContract extends ProviderContract {
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
        return super.requirement().toBuilder().isolation(IsolationLevel.CONTAINER).build();
    }
}
