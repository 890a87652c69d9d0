package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.ResourceUsage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A requirement that asks for network: the default bridge with runc, a clear refusal where runsc cannot give one. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestDockerNetwork extends DockerProviderTest {

    @Test
    void askingForNetworkGivesTheBridgeAndItsTrafficIsCounted() throws Exception {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.CONTAINER);
        InspectContainerResponse container = inspect(env);
        assertThat(container.getHostConfig().getNetworkMode()).isEqualTo("bridge");
        assertThat(container.getConfig().getNetworkDisabled()).isNotEqualTo(Boolean.TRUE);
        ContainerNetwork bridge = container.getNetworkSettings().getNetworks().get("bridge");
        assertThat(bridge).as("attached to the default bridge").isNotNull();

        ExecResult links = env.execute(ExecRequest.builder("cat", "/proc/net/dev").timeout(Duration.ofSeconds(10)).build());
        assertThat(links.stdoutText().lines().skip(2).map(l -> l.trim().split(":")[0])).contains("lo", "eth0");

        // A service of this host on the bridge's gateway address is reachable from inside.
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(bridge.getGateway()), 0));
            server.setSoTimeout(20_000);
            // The service reads the greeting and hangs up, which ends nc.
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = server.accept()) {
                    return new String(accepted.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            ExecResult connect = env.execute(ExecRequest.builder("sh", "-c", "echo hello | nc \"$1\" \"$2\"", "sh",
                    bridge.getGateway(), Integer.toString(server.getLocalPort())).timeout(Duration.ofSeconds(15)).build());
            assertThat(received.get(20, TimeUnit.SECONDS)).isEqualTo("hello\n");
            assertThat(connect.exitCode()).as(connect.stderrText()).isZero();
        }
        ResourceUsage usage = env.usage();
        assertThat(usage.networkTxBytes()).as("bytes sent over eth0").isPositive();
        assertThat(usage.networkRxBytes()).isNotNegative();
    }

    @Test
    void askingForNetworkUnderARunscRegisteredWithoutOneIsRefusedInOneLine() {
        DockerFixtures.requireUserKernel(provider);
        Throwable thrown = catchThrowable(() -> create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.USER_KERNEL));
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        assertThat(thrown.getMessage()).doesNotContain("\n").contains("network access was asked for").contains("--network=none");
    }
}
