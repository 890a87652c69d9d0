package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without an Engine: the probe says why and what to do, describe still works, create fails with one line. */
class TestDockerProbe {
    @TempDir
    Path stateDir;

    @Test
    void aMissingEngineIsReportedWithRemedies() {
        DockerProvider provider = DockerFixtures.provider(stateDir, Map.of("host", "unix://" + stateDir.resolve("no-docker.sock")));
        try {
            ProviderHealth health = provider.probe();
            assertThat(health.available()).isFalse();
            assertThat(health.reason()).contains("no-docker.sock").doesNotContain("\n");
            assertThat(health.remedies()).anyMatch(r -> r.contains("apt-get install docker.io"))
                    .anyMatch(r -> r.contains("dockerd"));
            assertThat(provider.describe().isolationLevels()).containsExactly(IsolationLevel.CONTAINER);
            Throwable thrown = catchThrowable(() -> provider.create(DockerFixtures.spec(EnvironmentRequirement.builder().build(),
                    IsolationLevel.CONTAINER)));
            assertThat(thrown).isInstanceOf(StagecraftException.class);
            assertThat(thrown.getMessage()).contains("cannot reach the Docker Engine").doesNotContain("\n");
            assertThat(provider.kind()).isEqualTo("docker");
        } finally {
            provider.close();
        }
    }

    @Test
    void anEngineThatDoesNotAnswerIsUnavailable() throws Exception {
        Path socket = stateDir.resolve("silent.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            server.close();
            DockerProvider provider = DockerFixtures.provider(stateDir, Map.of("host", "unix://" + socket));
            try {
                ProviderHealth health = provider.probe();
                assertThat(health.available()).isFalse();
                assertThat(health.reason()).contains("cannot reach the Docker Engine").doesNotContain("\n");
                assertThat(health.remedies()).anyMatch(r -> r.contains("dockerd"));
            } finally {
                provider.close();
            }
        }
    }
}
