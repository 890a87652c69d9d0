package dev.stagecraft.docker;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.EgressContract;
import java.nio.file.Path;

/** The egress battery with runc on the busybox test image: the nftables rules each networked container gets. */
class TestDockerEgress extends EgressContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return DockerFixtures.provider(stateDir);
    }

    @Override
    protected EnvironmentRequirement.Builder requirement() {
        return super.requirement().isolation(IsolationLevel.CONTAINER);
    }
}
