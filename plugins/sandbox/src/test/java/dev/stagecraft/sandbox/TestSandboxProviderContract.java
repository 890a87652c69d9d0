package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;

class TestSandboxProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return SandboxFixtures.provider(stateDir);
    }

    @Override
    protected Map<String, String> environmentDefaults() {
        return Map.of("HOME", SandboxEtc.HOME, "LANG", "C.UTF-8");
    }
}
