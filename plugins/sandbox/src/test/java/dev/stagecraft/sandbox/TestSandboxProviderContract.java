package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;

class TestSandboxProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return SandboxFixtures.provider(stateDir);
    }
}
