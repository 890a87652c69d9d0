package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.HostAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A networked sandbox has a network namespace of its own (slirp4netns), never the host's: the host's loopback, its
 * addresses, the metadata address and the private ranges are refused at once, and DNS works through the user-mode
 * network's resolver. (The provider kit's egress contract adds the reachable side, with a stand-in internet.)
 */
class TestSandboxNetwork {
    @TempDir
    Path stateDir;
    private SandboxProvider provider;
    private ExecutionEnvironment env;

    @BeforeEach
    void networkedSandbox() {
        provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        String missing = NetworkTools.missing(SandboxSettings.from(new dev.stagecraft.api.Settings("test", "providers.sandbox",
                Map.of())).withLauncher(SandboxSettings.DIRECT));
        if (missing != null) {
            BackendRequirement.missing(missing);
        }
        env = provider.create(SandboxFixtures.spec(EnvironmentRequirement.builder().network(true).build()));
    }

    @AfterEach
    void destroy() {
        SandboxFixtures.destroyAndClose(env, provider);
    }

    private ExecResult sh(String script, String... args) {
        return SandboxFixtures.sh(env, Duration.ofSeconds(20), script, args);
    }

    @Test
    void itsOwnNamespaceWithOneTapDeviceAndADefaultRoute() throws IOException {
        ExecResult links = sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; tail -n +2 /proc/net/route | cut -f1,2 | tr '\\t' ' '");
        assertThat(links.stdoutText().lines()).contains("lo", "tap0", "tap0 00000000").doesNotContain("eth0", "docker0");
        String hostNet = java.nio.file.Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        assertThat(sh("readlink /proc/self/ns/net").stdoutText().trim()).isNotEqualTo(hostNet);
    }

    @Test
    void theHostsLoopbackAndAddressesAndTheMetadataServiceAreRefusedAtOnce() throws IOException {
        try (ServerSocketChannel loopback = ServerSocketChannel.open(); ServerSocketChannel anyAddress = ServerSocketChannel.open()) {
            loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            anyAddress.bind(new InetSocketAddress(0));
            loopback.configureBlocking(false);
            anyAddress.configureBlocking(false);
            int loopbackPort = ((InetSocketAddress) loopback.getLocalAddress()).getPort();
            int anyPort = ((InetSocketAddress) anyAddress.getLocalAddress()).getPort();
            List<String[]> targets = new java.util.ArrayList<>(List.of(new String[] {"127.0.0.1", Integer.toString(loopbackPort)},
                    new String[] {"10.0.2.2", Integer.toString(loopbackPort)}, new String[] {"169.254.169.254", "80"},
                    new String[] {"172.17.0.1", Integer.toString(anyPort)}, new String[] {"10.0.2.2", "22"},
                    new String[] {"192.168.1.1", "80"}));
            HostAddresses.firstIpv4().ifPresent(a -> targets.add(new String[] {a, Integer.toString(anyPort)}));
            for (String[] target : targets) {
                long started = System.nanoTime();
                ExecResult r = sh("busybox nc -w 5 \"$1\" \"$2\" </dev/null", target[0], target[1]);
                assertThat(r.exitCode()).as(target[0]).isNotZero();
                assertThat(r.stderrText()).as(target[0]).containsAnyOf("No route to host", "unreachable", "refused");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as(target[0] + " fails fast").isLessThan(Duration.ofSeconds(3));
            }
            assertThat(loopback.accept()).as("the host's loopback service saw nothing").isNull();
            assertThat(anyAddress.accept()).as("the host's service on every address saw nothing").isNull();
        }
    }

    @Test
    void namesResolveThroughTheUserModeNetwork() throws IOException {
        assertThat(sh("cat /etc/resolv.conf").stdoutText()).contains("nameserver " + UserModeNetwork.DNS);
        String name = "deb.debian.org";
        try {
            InetAddress.getByName(name);
        } catch (java.net.UnknownHostException e) {
            BackendRequirement.missing("this host cannot resolve " + name + ", so a sandbox cannot either");
        }
        ExecResult lookup = sh("busybox nslookup \"$1\"", name);
        assertThat(lookup.exitCode()).as(lookup.stdoutText() + lookup.stderrText()).isZero();
        assertThat(lookup.stdoutText()).contains("Address");
    }

    @Test
    void aHostNameAllowlistGoesThroughTheProxyAndNothingElseDoes() throws IOException {
        String name = "deb.debian.org";
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(name);
        } catch (java.net.UnknownHostException e) {
            BackendRequirement.missing("this host cannot resolve " + name + ", the name the allowlist test fetches");
            return;
        }
        env.destroy();
        env = provider.create(SandboxFixtures.spec(EnvironmentRequirement.builder().network(true)
                .allowHost(name).allowHost("localhost").build()));
        assertThat(provider.describe().egress().hostAllowlist()).isTrue();

        // busybox-static's wget crashes in the static C library's resolver: curl, which honours the proxy variables
        ExecResult through = sh("echo \"$http_proxy\"; curl -sS -f -o /dev/null --max-time 15 -w '%{http_code}' \"http://$1/debian/\"", name);
        assertThat(through.exitCode()).as(through.stderrText()).isZero();
        assertThat(through.stdoutText()).startsWith("http://" + UserModeNetwork.GATEWAY + ":").endsWith("\n200");
        ExecResult tunnel = sh("curl -sS -f -o /dev/null --max-time 15 -w '%{http_code}' \"https://$1/debian/\"", name);
        assertThat(tunnel.exitCode()).as("HTTPS through CONNECT: " + tunnel.stderrText()).isZero();

        ExecResult other = sh("curl -sS -f -o /dev/null --max-time 15 http://registry.npmjs.org/");
        assertThat(other.exitCode()).isNotZero();
        assertThat(other.stderrText()).contains("403");
        ExecResult otherTunnel = sh("curl -sS -o /dev/null --max-time 15 https://registry.npmjs.org/");
        assertThat(otherTunnel.exitCode()).isNotZero();
        assertThat(otherTunnel.stderrText()).contains("403");

        ExecResult loopbackName = sh("curl --noproxy '' -sS -f -o /dev/null --max-time 15 http://localhost:22/");
        assertThat(loopbackName.exitCode()).as("an allowed name that points at the host").isNotZero();
        assertThat(loopbackName.stderrText()).contains("403");

        long started = System.nanoTime();
        ExecResult direct = sh("busybox nc -w 5 \"$1\" 80 </dev/null", addresses[0].getHostAddress());
        assertThat(direct.exitCode()).as("the allowed name's address, not through the proxy").isNotZero();
        assertThat(direct.stderrText()).contains("No route to host");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));

        ExecResult gateway = sh("busybox nc -w 5 \"$1\" 22 </dev/null", UserModeNetwork.GATEWAY);
        assertThat(gateway.exitCode()).as("the host's other loopback ports").isNotZero();
    }

    @Test
    void theProxysAllowlistMatchesNamesAndSubdomainsOfStarEntries() {
        List<String> list = List.of("example.com", "*.pypi.org");
        assertThat(EgressProxy.allowed(list, "example.com")).isTrue();
        assertThat(EgressProxy.allowed(list, "EXAMPLE.com.")).isTrue();
        assertThat(EgressProxy.allowed(list, "www.example.com")).isFalse();
        assertThat(EgressProxy.allowed(list, "files.pypi.org")).isTrue();
        assertThat(EgressProxy.allowed(list, "pypi.org")).isFalse();
        assertThat(EgressProxy.allowed(list, "evilpypi.org")).isFalse();
    }

    @Test
    void withoutNetworkOnlyLoopbackAsBefore() {
        ExecutionEnvironment offline = provider.create(SandboxFixtures.spec());
        try {
            ExecResult links = offline.execute(ExecRequest.of("sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"));
            assertThat(links.stdoutText().lines()).containsExactly("lo");
        } finally {
            offline.destroy();
        }
    }
}
