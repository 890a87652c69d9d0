package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A networked command's own network: slirp4netns gives the sandbox's fresh network namespace a tap device, an
 * address ({@link #ADDRESS}), a default route and a DNS forwarder ({@link #DNS}), all served by user-mode TCP/IP in
 * a host process (no bridge, no host interface, no capability for the sandbox); its gateway is not mapped to the
 * host's loopback ({@code --disable-host-loopback}), and the {@link EgressRules} keep it off the host and the
 * private ranges. Attached in the launcher's pause, before the command runs; ends with the command (its exit
 * descriptor is held here, so it also ends when this JVM dies).
 *
 * <p>Why slirp4netns and not pasta: Debian 12's passt (2023-03-09) cannot attach to a namespace when started as root
 * (it switches to nobody before it opens the namespace); slirp4netns 1.2 is ready in about 45 ms.
 */
final class UserModeNetwork implements AutoCloseable {
    static final String ADDRESS = "10.0.2.100";
    static final String DNS = "10.0.2.3";
    /** The gateway inside; mapped to the host's loopback only for a command behind an {@link EgressProxy}. */
    static final String GATEWAY = "10.0.2.2";
    private static final Duration READY_WAIT = Duration.ofSeconds(10);
    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    private static final Path DEV_NULL = Path.of("/dev/null");

    /** Why a sandbox could not get its network; nothing of the request ran. */
    static final class Failed extends IOException {
        Failed(String message) {
            super(message);
        }
    }

    private final SpawnedProcess slirp;

    private UserModeNetwork(SpawnedProcess slirp) {
        this.slirp = slirp;
    }

    /** Gives the network namespace of {@code initPid} its network and {@code rules}; returns once both are in place. */
    static UserModeNetwork attach(int initPid, String rules, SandboxSettings.Network tools, boolean hostLoopback)
            throws Failed {
        SpawnedProcess slirp;
        try {
            // 0: nothing to read; 1: its chatter; 2: its errors; 3: "1" once ready; 4: it exits when this closes.
            List<String> argv = new java.util.ArrayList<>(List.of(tools.slirp4netns(), "--configure", "--mtu=65520",
                    "--enable-sandbox", "--enable-seccomp",
                    // its own user namespace: without this it joins the sandbox's, where it may not enter the network
                    "--userns-path=/proc/self/ns/user", "--ready-fd=3", "--exit-fd=4",
                    Integer.toString(initPid), "tap0"));
            if (!hostLoopback) {
                argv.add(2, "--disable-host-loopback");
            }
            NativeSpawn.Spawned spawned = NativeSpawn.spawn(argv, ENV, List.of(new NativeSpawn.ReadOnlyFile(DEV_NULL),
                    new NativeSpawn.WriteOnlyFile(DEV_NULL), new NativeSpawn.ChildWrites(), new NativeSpawn.ChildWrites(),
                    new NativeSpawn.ChildReads()));
            int[] ends = spawned.parentEnds();
            slirp = new SpawnedProcess(spawned.pid(), new PipeStreams.Out(ends[4]), new PipeStreams.In(ends[3]),
                    new PipeStreams.In(ends[2]));
        } catch (IOException e) {
            throw new Failed("cannot start " + tools.slirp4netns() + ": " + e.getMessage());
        }
        UserModeNetwork network = new UserModeNetwork(slirp);
        try {
            applyRules(initPid, rules, tools);
            network.awaitReady();
            return network;
        } catch (Failed | RuntimeException e) {
            network.close();
            throw e;
        }
    }

    private static void applyRules(int initPid, String rules, SandboxSettings.Network tools) throws Failed {
        try {
            HostTool.run(List.of(tools.nsenter(), "--net=/proc/" + initPid + "/ns/net", tools.nft(), "-f", "-"), rules);
        } catch (IOException e) {
            throw new Failed("cannot load the egress rules: " + e.getMessage());
        }
    }

    private void awaitReady() throws Failed {
        PipeStreams.In ready = (PipeStreams.In) slirp.stdout();
        try {
            if (ready.readable(READY_WAIT) && ready.read() == '1') {
                return;
            }
        } catch (IOException e) {
            // below: what it said
        }
        throw new Failed("slirp4netns did not bring the sandbox's network up: " + said());
    }

    /** The first line of what slirp4netns wrote on stderr before it ended (or that it said nothing). */
    private String said() {
        try {
            slirp.waitFor(Duration.ofSeconds(1));
            PipeStreams.In err = (PipeStreams.In) slirp.stderr();
            if (!err.readable(Duration.ZERO)) {
                return "it said nothing";
            }
            byte[] buffer = new byte[2048];
            int n = err.read(buffer, 0, buffer.length);
            String text = n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? "it said nothing" : text.lines().filter(l -> !l.isBlank()).findFirst().orElse(text);
        } catch (IOException e) {
            return "its errors could not be read: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Ends the network: slirp4netns exits when its exit descriptor closes; killed if it lingers. */
    @Override
    public void close() {
        ((PipeStreams.Out) slirp.stdin()).close();
        try {
            if (!slirp.waitFor(Duration.ofSeconds(2))) {
                slirp.killTree();
            }
        } catch (InterruptedException e) {
            slirp.killTree();
            Thread.currentThread().interrupt();
        } finally {
            slirp.closeStreams();
        }
    }
}
