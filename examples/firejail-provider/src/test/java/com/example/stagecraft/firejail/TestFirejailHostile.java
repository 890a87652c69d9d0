package com.example.stagecraft.firejail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.HostileContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The kit's hostile battery, run against real firejail sandboxes with the battery's limits. */
class TestFirejailHostile extends HostileContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        FirejailProvider provider = new FirejailProvider();
        provider.initialize(new ProviderContext("tck", stateDir, new Settings("test", "providers.firejail",
                Map.of("processes", pidsLimit(), "open-files", openFiles(), "file-size", fileSizeBytes(),
                        "scratch", scratchBytes()))));
        return provider;
    }

    /** The environment's record, workspace and cgroup are gone (its processes went with the cgroup). */
    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        assertThat(stateDir.resolve("envs").resolve(destroyed.id())).doesNotExist();
        SandboxUser user = SandboxUser.lookUp("stagecraft-firejail").orElseThrow();
        assertThat(user.home().resolve("workspaces").resolve(destroyed.id())).doesNotExist();
        assertThat(EnvironmentCgroup.of(destroyed.id()).orElseThrow().directories()).noneMatch(Files::exists);
    }

    /** The host's userland: Debian has no ping here, and its hostname words a refusal differently from busybox. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }
}
