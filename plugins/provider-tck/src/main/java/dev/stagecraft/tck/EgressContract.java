package dev.stagecraft.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The egress battery: what a networked environment may and may not reach, for every kind that gives network. The
 * "internet" is a {@link TestInternet} this class makes (a namespace with public addresses A and B, 169.254.169.254 and
 * a private address, each answering a token); every attack first proves from the host that its target answers, so an
 * unreachable target means the environment was stopped. Unreachable fails fast (a reject, not a silent drop).
 *
 * <p>Subclass it with {@link #newProvider} returning a provider that gives network; {@link #tool} and
 * {@link #resolveCommand} adapt the commands to the environment's userland. When the backend is missing the tests fail
 * if {@code CI} is set and are skipped otherwise ({@link BackendRequirement}); so does the test internet when this host
 * cannot make it (root, iproute2, busybox).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class EgressContract {
    /** How long a refused connection may take, exec included: a silent drop would take the client's 5 s timeout. */
    protected static final Duration FAST = Duration.ofSeconds(3);

    private static TestInternet internet;

    @TempDir
    protected Path stateDir;

    protected EnvironmentProvider provider;
    protected ExecutionEnvironment env;

    /** A provider, initialized with {@code stateDir}, that gives network access. */
    protected abstract EnvironmentProvider newProvider(Path stateDir);

    /** The requirement every environment here is made for; the battery adds network and the allowlist. */
    protected EnvironmentRequirement.Builder requirement() {
        return EnvironmentRequirement.builder().toolType("tck-egress").expectedDuration(Duration.ofSeconds(10))
                .ttl(Duration.ofMinutes(10)).network(true);
    }

    /** How a command line calls the busybox-style tool {@code name} ({@code nc}, {@code nslookup}); see HostileContract. */
    protected String tool(String name) {
        return name;
    }

    /**
     * A command that resolves {@code name} through the environment's resolver and prints its addresses: busybox
     * {@code nslookup} by default; {@code getent hosts NAME} where the userland has it.
     */
    protected String resolveCommand(String name) {
        return tool("nslookup") + " " + name;
    }

    /**
     * A command that fetches {@code url} over HTTP, honouring the {@code http_proxy} variables, and fails on an HTTP
     * error status, saying it on stderr: busybox {@code wget} by default; {@code curl -f} where busybox's static wget
     * cannot run (it crashes in the static C library's resolver on some hosts).
     */
    protected String fetchCommand(String url) {
        return tool("wget") + " -q -O /dev/null -T 15 " + url;
    }

    /** Whether a denied connection is refused at once (a reject); false only where the kind can only drop. */
    protected boolean unreachableFailsFast() {
        return true;
    }

    /**
     * A name the host resolves: the host of the first apt source (a mirror the machine already depends on), else
     * deb.debian.org.
     */
    protected String resolvableName() {
        Pattern uri = Pattern.compile("https?://([A-Za-z0-9.-]+)");
        List<Path> sources = new ArrayList<>(List.of(Path.of("/etc/apt/sources.list")));
        try (Stream<Path> listed = Files.list(Path.of("/etc/apt/sources.list.d"))) {
            listed.sorted().forEach(sources::add);
        } catch (IOException absent) {
            // no sources.list.d: the main list, or the default
        }
        for (Path source : sources) {
            try {
                for (String line : Files.readAllLines(source)) {
                    Matcher m = uri.matcher(line);
                    if (!line.trim().startsWith("#") && m.find()) {
                        return m.group(1);
                    }
                }
            } catch (IOException unreadable) {
                // the next one
            }
        }
        return "deb.debian.org";
    }

    @BeforeAll
    static void openTheInternet() {
        internet = TestInternet.open();
    }

    @AfterAll
    static void closeTheInternet() {
        if (internet != null) {
            internet.close();
            internet = null;
        }
    }

    @BeforeEach
    void startProvider() {
        provider = newProvider(stateDir);
        BackendRequirement.require(provider);
    }

    @AfterEach
    void destroyTheEnvironment() {
        try {
            if (env != null) {
                env.destroy();
            }
        } finally {
            provider.close();
        }
    }

    protected ExecutionEnvironment create(EnvironmentRequirement requirement) {
        env = ContractEnvironments.create(provider, requirement);
        return env;
    }

    protected ExecResult sh(Duration timeout, String script, String... args) {
        return ContractEnvironments.sh(env, timeout, script, args);
    }

    /** The test internet's server answers {@code address} inside with its token. */
    protected void assertReachable(String address) {
        ExecResult result = connect(address, TestInternet.PORT);
        assertThat(result.stdoutText()).as("%s from inside (stderr: %s)", address, result.stderrText()).contains(internet.token());
    }

    /** A connection from inside to {@code address:port} fails, without the token, and fast where the kind rejects. */
    protected void assertUnreachable(String address, int port) {
        long started = System.nanoTime();
        ExecResult result = connect(address, port);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(result.exitCode()).as("%s:%d from inside (stdout: %s)", address, port, result.stdoutText()).isNotZero();
        assertThat(result.stdoutText()).as("%s:%d", address, port).doesNotContain(internet.token());
        if (unreachableFailsFast()) {
            assertThat(took).as("%s:%d is refused at once (stderr: %s)", address, port, result.stderrText()).isLessThan(FAST);
        }
    }

    private ExecResult connect(String address, int port) {
        return sh(Duration.ofSeconds(20), tool("nc") + " -w 5 \"$1\" \"$2\" </dev/null", address, Integer.toString(port));
    }

    // ---- reachable -----------------------------------------------------------------------------------------------

    @Test
    void aPublicAddressIsReachableWithNetworkAndNoAllowlist() {
        create(requirement().build());
        assertReachable(internet.publicA());
        assertReachable(internet.publicB());
    }

    @Test
    void namesResolveInside() {
        create(requirement().build());
        assertNamesResolve();
    }

    private void assertNamesResolve() {
        String name = resolvableName();
        List<String> onTheHost;
        try {
            onTheHost = Arrays.stream(InetAddress.getAllByName(name)).map(InetAddress::getHostAddress).toList();
        } catch (UnknownHostException e) {
            BackendRequirement.missing("this host resolves no name (tried " + name + ", the first apt source's host)");
            return;
        }
        ExecResult conf = sh(Duration.ofSeconds(10), "cat /etc/resolv.conf");
        assertThat(conf.stdoutText()).as("/etc/resolv.conf inside (stderr: %s)", conf.stderrText()).contains("nameserver");
        ExecResult resolved = sh(Duration.ofSeconds(20), resolveCommand(name));
        assertThat(resolved.exitCode()).as("%s inside: %s %s", name, resolved.stdoutText(), resolved.stderrText()).isZero();
        assertThat(onTheHost).as("%s resolved inside: %s", name, resolved.stdoutText())
                .anyMatch(address -> resolved.stdoutText().contains(address));
    }

    // ---- denied by default -----------------------------------------------------------------------------------

    @Test
    void aServiceOnTheHostsLoopbackIsUnreachable() throws IOException {
        try (ServerSocketChannel service = ServerSocketChannel.open()) {
            service.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) service.getLocalAddress()).getPort();
            proveFromTheHost(service, InetAddress.getLoopbackAddress().getHostAddress(), port);
            create(requirement().build());
            List<String> targets = new ArrayList<>(List.of("127.0.0.1"));
            defaultGatewayInside().ifPresent(targets::add); // where user-mode networking maps the host's loopback
            for (String target : targets) {
                assertUnreachable(target, port);
            }
            assertThat(service.accept()).as("the host's loopback service saw no connection").isNull();
        }
    }

    @Test
    void aServiceOnTheHostsOwnAddressesIsUnreachable() throws IOException {
        try (ServerSocketChannel service = ServerSocketChannel.open()) {
            service.bind(new InetSocketAddress(0));
            int port = ((InetSocketAddress) service.getLocalAddress()).getPort();
            List<String> addresses = hostAddresses();
            assertThat(addresses).as("this host's own addresses").contains(internet.hostSide());
            for (String address : addresses) {
                proveFromTheHost(service, address, port);
            }
            create(requirement().build());
            for (String address : addresses) {
                assertUnreachable(address, port);
            }
            assertThat(service.accept()).as("the host's service saw no connection").isNull();
        }
    }

    @Test
    void theMetadataServiceAndPrivateAddressesAreUnreachable() {
        for (String address : List.of(TestInternet.METADATA, internet.privateAddress())) {
            assertThat(internet.answersFromHost(address)).as("%s answers the host", address).isTrue();
        }
        create(requirement().build());
        assertReachable(internet.publicA()); // the way out works: what follows is the policy
        assertUnreachable(TestInternet.METADATA, TestInternet.PORT);
        assertUnreachable(internet.privateAddress(), TestInternet.PORT);
    }

    // ---- allowlists -------------------------------------------------------------------------------------------

    @Test
    void anAllowedRangeIsReachableAndNothingElse() {
        assertThat(internet.answersFromHost(internet.publicB())).as("B answers the host").isTrue();
        create(requirement().allowCidr(internet.publicA() + "/32").build());
        assertReachable(internet.publicA());
        assertUnreachable(internet.publicB(), TestInternet.PORT);
        assertNamesResolve();
    }

    @Test
    void anAllowlistOfHostNamesIsHeldOrRefusedInOneLine() {
        EnvironmentRequirement requirement = requirement().allowHost(resolvableName()).build();
        EgressControl control = provider.describe().egress();
        if (!control.hostAllowlist()) {
            assertThat(control.shortfall(requirement.egress())).as("describe() says so, for selection to drop the kind")
                    .contains("host names");
            Throwable refused = catchThrowable(() -> create(requirement));
            assertThat(refused).as("create refuses what describe() says it cannot hold").isInstanceOf(StagecraftException.class);
            assertThat(refused.getMessage()).doesNotContain("\n").contains(resolvableName());
            env = null;
            return;
        }
        create(requirement);
        assertUnreachable(internet.publicB(), TestInternet.PORT);
        assertNamesResolve();
        // The allowed name answers (through whatever the kind forces its traffic through); another name does not.
        ExecResult allowed = sh(Duration.ofSeconds(40), fetchCommand("http://" + resolvableName() + "/"));
        assertThat(allowed.exitCode() == 0 || allowed.stderrText().matches("(?s).*(HTTP/1\\.[01]|returned error:) [0-9]{3}.*"))
                .as("%s answers (stderr: %s)", resolvableName(), allowed.stderrText()).isTrue();
        assertThat(allowed.stderrText()).as("not refused by the allowlist").doesNotContain("403");
        ExecResult other = sh(Duration.ofSeconds(40), fetchCommand("http://not-on-the-list.invalid/"));
        assertThat(other.exitCode()).as("a name off the list").isNotZero();
        assertThat(other.stderrText() + other.stdoutText()).as("a name off the list").containsAnyOf("403", "No route", "unreachable");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** Connects from this host to {@code address:port} and accepts it: the target could have been reached. */
    private static void proveFromTheHost(ServerSocketChannel service, String address, int port) throws IOException {
        service.configureBlocking(true);
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(address, port), 2000);
            try (SocketChannel accepted = service.accept()) {
                assertThat(accepted).as("the host reaches its own service on %s:%d", address, port).isNotNull();
            }
        }
        service.configureBlocking(false);
    }

    /** This host's IPv4 addresses (not loopback), leaving out other test runs' test internets, which come and go. */
    private static List<String> hostAddresses() {
        try {
            List<String> addresses = new ArrayList<>();
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                boolean othersFixture = nic.getName().startsWith(TestInternet.PREFIX) && !nic.getName().equals(internet.hostLink());
                if (nic.isLoopback() || othersFixture) {
                    continue;
                }
                nic.inetAddresses().filter(a -> a instanceof Inet4Address).forEach(a -> addresses.add(a.getHostAddress()));
            }
            return addresses;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The default route's gateway inside ({@code /proc/net/route}, little-endian hex), if any. */
    private Optional<String> defaultGatewayInside() {
        for (String line : sh(Duration.ofSeconds(10), "cat /proc/net/route").stdoutText().lines().skip(1).toList()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 2 && fields[1].equals("00000000") && !fields[2].equals("00000000")) {
                long gateway = Long.parseLong(fields[2], 16);
                return Optional.of((gateway & 0xff) + "." + ((gateway >> 8) & 0xff) + "." + ((gateway >> 16) & 0xff)
                        + "." + ((gateway >> 24) & 0xff));
            }
        }
        return Optional.empty();
    }

}
