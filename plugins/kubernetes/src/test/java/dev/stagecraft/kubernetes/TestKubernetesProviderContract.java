package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;

/** The provider contract on the test cluster (a real apiserver and kubelet), busybox pods of the container class. */
class TestKubernetesProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return KubernetesFixtures.provider(stateDir);
    }

    @Override
    protected Map<String, String> environmentDefaults() {
        return KubernetesFixtures.COMMAND_DEFAULTS;
    }

    @Override
    protected EnvironmentRequirement requirement() {
        return super.requirement().toBuilder().isolation(IsolationLevel.CONTAINER).build();
    }
}
