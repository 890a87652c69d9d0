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
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A requirement that asks for network: the default bridge with runc, the host denied, a clear refusal where runsc cannot give one. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestDockerNetwork extends DockerProviderTest {

    @Test
    void askingForNetworkGivesTheBridgeWithoutTheHostAndItsTrafficIsCounted() throws Exception {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.CONTAINER);
        InspectContainerResponse container = inspect(env);
        assertThat(container.getHostConfig().getNetworkMode()).isEqualTo("bridge");
        assertThat(container.getConfig().getNetworkDisabled()).isNotEqualTo(Boolean.TRUE);
        ContainerNetwork bridge = container.getNetworkSettings().getNetworks().get("bridge");
        assertThat(bridge).as("attached to the default bridge").isNotNull();

        ExecResult links = env.execute(ExecRequest.builder("cat", "/proc/net/dev").timeout(Duration.ofSeconds(10)).build());
        assertThat(links.stdoutText().lines().skip(2).map(l -> l.trim().split(":")[0])).contains("lo", "eth0");

        assertTheGatewayIsRefused(env, bridge.getGateway());
        // Name resolution goes out (to the nameserver of the container's resolv.conf), and is counted.
        ExecResult lookup = env.execute(ExecRequest.builder("nslookup", "localhost.invalid").timeout(Duration.ofSeconds(15)).build());
        assertThat(lookup.stdoutText() + lookup.stderrText()).as("an answer from the nameserver").isNotEmpty();
        ResourceUsage usage = env.usage();
        assertThat(usage.networkTxBytes()).as("bytes sent over eth0").isPositive();
        assertThat(usage.networkRxBytes()).isNotNegative();
    }

    @Test
    void aRestartedContainerGetsItsRulesAgainInItsNewNamespace() throws Exception {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.CONTAINER);
        String gateway = inspect(env).getNetworkSettings().getNetworks().get("bridge").getGateway();
        env.stop();
        env.start();
        assertTheGatewayIsRefused(env, gateway);
    }

    /**
     * A service of this host on the bridge's gateway address is not reachable from inside: the host is denied
     * (TestDockerEgress holds the whole policy); the connect is refused at once, and the service sees nothing.
     */
    private static void assertTheGatewayIsRefused(ExecutionEnvironment env, String gateway) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(gateway), 0));
            server.configureBlocking(false);
            long started = System.nanoTime();
            ExecResult connect = env.execute(ExecRequest.builder("sh", "-c", "echo hello | nc -w 5 \"$1\" \"$2\"", "sh",
                    gateway, Integer.toString(server.socket().getLocalPort())).timeout(Duration.ofSeconds(15)).build());
            assertThat(connect.exitCode()).isNotZero();
            assertThat(connect.stderrText()).contains("No route to host");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            assertThat(server.accept()).as("the host's service saw no connection").isNull();
        }
    }

    @Test
    void askingForNetworkUnderARunscRegisteredWithoutOneIsRefusedInOneLine() {
        DockerFixtures.requireUserKernel(provider);
        Throwable thrown = catchThrowable(() -> create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.USER_KERNEL));
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        assertThat(thrown.getMessage()).doesNotContain("\n").contains("network access was asked for").contains("--network=none");
    }
}
