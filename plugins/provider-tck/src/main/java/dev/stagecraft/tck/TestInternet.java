package dev.stagecraft.tck;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for "the internet" that a test makes on this host: a network namespace of its own ({@code sc-tck-*},
 * so that leftovers are findable), a veth pair to the host, and a random /28 in 198.18.0.0/15 (the benchmarking
 * range: denied nowhere, routed nowhere, so it collides with no real network). Inside it live two "public" addresses
 * A and B, the cloud metadata address 169.254.169.254 and a random private address in 10.200.0.0/16, each reached
 * from the host through the veth; a busybox {@code nc} server on port {@link #PORT} answers every one of them with a
 * per-fixture {@link #token()}. {@link #open()} proves from the host that each answers, so an "unreachable" seen inside
 * an environment means the environment was stopped, not that the server was down.
 *
 * <p>Needs root, iproute2 and busybox (scripts/setup.d). The host route to 169.254.169.254 is one per host: fixtures
 * of concurrent test runs take turns on it through a lock file. {@link #open()} first removes what dead runs left.
 */
public final class TestInternet implements AutoCloseable {
    /** The prefix of every namespace and link a fixture makes. */
    public static final String PREFIX = "sc-tck-";
    /** The port the server listens on, on every address. */
    public static final int PORT = 80;
    public static final String METADATA = "169.254.169.254";
    private static final Path METADATA_LOCK = Path.of(System.getProperty("java.io.tmpdir"), "sc-tck-metadata.lock");
    private static final Duration LOCK_WAIT = Duration.ofMinutes(3);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String link;
    private final String namespace;
    private final String token;
    private final String hostSide;
    private final String namespaceSide;
    private final String publicA;
    private final String publicB;
    private final String privateAddress;
    private FileChannel lockFile;
    private FileLock lock;
    private Process server;

    private TestInternet() {
        String suffix = HexFormat.of().formatHex(bytes(4));
        link = PREFIX + suffix;
        namespace = link + "-" + ProcessHandle.current().pid();
        token = "sc-token-" + HexFormat.of().formatHex(bytes(8));
        int block = (198 << 24) | (18 << 16) | (RANDOM.nextInt(1 << 13) << 4);
        hostSide = ipv4(block + 1);
        namespaceSide = ipv4(block + 2);
        publicA = ipv4(block + 3);
        publicB = ipv4(block + 4);
        privateAddress = "10.200." + RANDOM.nextInt(256) + "." + (1 + RANDOM.nextInt(254));
    }

    /**
     * Makes the namespace, its addresses and its server, and proves from the host that each address answers; fails
     * the test under CI (skips it elsewhere) when this host cannot (not root, no {@code ip}, no busybox).
     */
    public static TestInternet open() {
        if (!"0".equals(run(false, "id", "-u").trim())) {
            BackendRequirement.missing("the egress contract makes a network namespace and needs root");
        }
        for (String tool : List.of("ip", "busybox")) {
            if (run(false, "sh", "-c", "command -v " + tool).isBlank()) {
                BackendRequirement.missing("no '" + tool + "' on this host (apt-get install iproute2 busybox-static)");
            }
        }
        removeLeftovers();
        TestInternet internet = new TestInternet();
        try {
            internet.lockMetadataRoute();
            internet.build();
            internet.proveEveryAddressAnswers();
            return internet;
        } catch (RuntimeException | Error e) {
            internet.close();
            throw e;
        }
    }

    public String publicA() {
        return publicA;
    }

    public String publicB() {
        return publicB;
    }

    public String privateAddress() {
        return privateAddress;
    }

    /** The host's own address on the veth: a host address like any other, for targets that must be unreachable. */
    public String hostSide() {
        return hostSide;
    }

    /** What the server answers, per fixture. */
    public String token() {
        return token;
    }

    /** The name of the host's end of the veth, whose address is this fixture's own. */
    public String hostLink() {
        return link;
    }

    /** Whether the server on {@code address} answers this host with the token within two seconds. */
    public boolean answersFromHost(String address) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, PORT), 2000);
            socket.setSoTimeout(2000);
            return new String(socket.getInputStream().readNBytes(token.length()), US_ASCII).equals(token);
        } catch (IOException e) {
            return false;
        }
    }

    private void build() {
        run(true, "ip", "netns", "add", namespace);
        run(true, "ip", "link", "add", link, "type", "veth", "peer", "name", "eth-tck", "netns", namespace);
        run(true, "ip", "addr", "add", hostSide + "/28", "dev", link);
        run(true, "ip", "link", "set", link, "up");
        for (String address : List.of(namespaceSide + "/28", publicA + "/32", publicB + "/32", METADATA + "/32",
                privateAddress + "/32")) {
            run(true, "ip", "-n", namespace, "addr", "add", address, "dev", "eth-tck");
        }
        run(true, "ip", "-n", namespace, "link", "set", "lo", "up");
        run(true, "ip", "-n", namespace, "link", "set", "eth-tck", "up");
        run(true, "ip", "-n", namespace, "route", "add", "default", "via", hostSide);
        for (String address : List.of(METADATA, privateAddress)) {
            run(true, "ip", "route", "add", address + "/32", "via", namespaceSide, "dev", link);
        }
        try {
            server = new ProcessBuilder("ip", "netns", "exec", namespace, "busybox", "nc", "-ll", "-p",
                    Integer.toString(PORT), "-e", "echo", token).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void proveEveryAddressAnswers() {
        for (String address : List.of(publicA, publicB, METADATA, privateAddress)) {
            Deadline.await(Duration.ofSeconds(10), "the test internet's server answers the host on " + address + ":" + PORT,
                    () -> answersFromHost(address));
        }
    }

    /** One fixture per host at a time holds the host route to 169.254.169.254 (a lock file, across processes). */
    private void lockMetadataRoute() {
        try {
            lockFile = FileChannel.open(METADATA_LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Deadline.await(LOCK_WAIT, "the lock on the host route to " + METADATA + " (" + METADATA_LOCK + "), held by"
                + " another test run", () -> {
            try {
                lock = lockFile.tryLock();
                return lock != null;
            } catch (OverlappingFileLockException | IOException busy) {
                return false;
            }
        });
    }

    /** Removes the server, the namespace (its end of the veth and the routes through it go with it) and the lock. */
    @Override
    public void close() {
        if (server != null) {
            server.destroy();
            try {
                server.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        removeNamespace(namespace);
        run(false, "ip", "link", "del", link);
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockFile != null) {
                lockFile.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Namespaces of this prefix whose creating process (the name's last part) is gone. */
    static void removeLeftovers() {
        for (String line : run(false, "ip", "netns", "list").lines().toList()) {
            String name = line.split(" ")[0];
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String pid = name.substring(name.lastIndexOf('-') + 1);
            if (!pid.matches("[0-9]+") || ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
                removeNamespace(name);
            }
        }
    }

    private static void removeNamespace(String name) {
        for (String pid : run(false, "ip", "netns", "pids", name).lines().toList()) {
            if (pid.matches("[0-9]+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        run(false, "ip", "netns", "del", name);
    }

    /** Runs a host command; with {@code check}, fails naming it and its output when it exits non-zero. */
    private static String run(boolean check, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), US_ASCII);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end within 30 s");
            }
            if (check && p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + output.strip());
            }
            return output;
        } catch (IOException e) {
            if (check) {
                throw new UncheckedIOException(e);
            }
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String ipv4(int value) {
        return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }

    /** The addresses {@link #open()} made, for messages. */
    @Override
    public String toString() {
        return namespace + " (A " + publicA + ", B " + publicB + ", private " + privateAddress + ", host side " + hostSide + ")";
    }

}
