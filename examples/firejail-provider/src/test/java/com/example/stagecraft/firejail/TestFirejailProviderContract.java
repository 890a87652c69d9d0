package com.example.stagecraft.firejail;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;

/** The kit's contract, run against real firejail sandboxes. */
class TestFirejailProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        FirejailProvider provider = new FirejailProvider();
        provider.initialize(new ProviderContext(owner(), stateDir, Settings.empty("providers.firejail")));
        return provider;
    }

    /** Every command gets HOME, the workspace mounted as the sandbox account's home. */
    @Override
    protected Map<String, String> environmentDefaults() {
        return Map.of("HOME", SandboxUser.lookUp("stagecraft-firejail").map(u -> u.home().toString()).orElse("?"));
    }
}
