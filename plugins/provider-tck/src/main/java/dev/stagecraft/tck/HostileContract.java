package dev.stagecraft.tck;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile battery: what untrusted code does, run in a real environment of the provider under test. Each attack
 * ends with the right status, leaves the host and this JVM unaffected, and, once its environment is destroyed,
 * leaves nothing of it behind ({@link #assertNothingLeft}, the provider's own check). The expectations are the
 * sandbox's ({@code TestHostileCode}); a runtime that legitimately differs says so through one of the
 * {@code protected} expectation hooks, never by skipping.
 *
 * <p>Every attack is a busybox-level shell command ({@code sh}, {@code head}, {@code tr}, {@code wc}, {@code paste},
 * {@code nc}, {@code ping}, {@code unshare}, {@code setsid}, {@code hostname}, {@code su}, {@code find}, ...), so the
 * battery runs in a busybox image as well as on a host's userland. Busybox cannot start threads, so the thread bomb is
 * a flood of processes: a pids limit counts threads and processes alike.
 *
 * <p>Configure the provider that {@link #newProvider} returns with the limits of the {@code protected} hooks
 * ({@link #pidsLimit()} processes, {@link #scratchBytes()} for /tmp and /dev/shm, {@link #fileSizeBytes()},
 * {@link #openFiles()}) and with network off. When the backend is missing the tests fail if {@code CI} is set and
 * are skipped otherwise ({@link BackendRequirement}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class HostileContract {
    protected static final long MIB = 1L << 20;

    @TempDir
    protected Path stateDir;
    @TempDir
    protected Path hostDir;

    protected EnvironmentProvider provider;
    protected ExecutionEnvironment env;

    /** A provider, initialized with {@code stateDir} and the battery's limits, ready for use. */
    protected abstract EnvironmentProvider newProvider(Path stateDir);

    /**
     * Fails when anything of the destroyed environment is left on the backend or the host: its processes, its
     * container, volume, cgroup, mounts or directories, whatever the provider makes.
     */
    protected abstract void assertNothingLeft(ExecutionEnvironment destroyed);

    /** The requirement every attack's environment is made for; the battery sets memory and CPUs where it needs to. */
    protected EnvironmentRequirement.Builder requirement() {
        return EnvironmentRequirement.builder().toolType("tck-hostile").expectedDuration(Duration.ofSeconds(10))
                .ttl(Duration.ofMinutes(10));
    }

    /** The pids limit the provider was configured with. */
    protected long pidsLimit() {
        return 64;
    }

    /** The size of the environment's /tmp and /dev/shm. */
    protected long scratchBytes() {
        return 16 * MIB;
    }

    /** The largest file one process may write; 0 where the runtime sets no such limit (a 100m file is then written whole). */
    protected long fileSizeBytes() {
        return 8 * MIB;
    }

    /** The open-files limit of one process. */
    protected long openFiles() {
        return 1024;
    }

    /**
     * How a command line calls the busybox-style tool {@code name} ({@code nc}, {@code ping}, {@code hostname},
     * {@code reboot}): by that name where busybox provides the userland (an image), {@code busybox name} where the
     * environment sees a host's userland that may lack the tool or ship one that words its errors differently.
     */
    protected String tool(String name) {
        return name;
    }

    // ---- expectations a runtime may legitimately change --------------------------------------------------------

    /**
     * Whether a command that failed at the pids limit is reported as {@link Termination#LIMIT_KILLED} ("process limit
     * N"); false where the limit is enforced where the provider cannot count refusals (a fork then fails with EAGAIN
     * and the command exits as it chooses).
     */
    protected boolean pidsLimitHitsAreReported() {
        return true;
    }

    /** What a command writing onto the read-only root is told (strerror text). */
    protected String readOnlyWriteError() {
        return "Read-only file system";
    }

    /**
     * The memory limit an environment asked for {@code requested} gets: more where the runtime has a floor (Lambda's
     * 128 MB). The balloon fills twice what was granted, and the kill names the granted limit.
     */
    protected long grantedMemoryBytes(long requested) {
        return requested;
    }

    /** Whether the environment has a /dev/shm; where it has none, writing there must fail and only /tmp is filled. */
    protected boolean hasDevShm() {
        return true;
    }

    /** What a shell whose fork the pids limit refused prints (dash words EAGAIN as "Cannot fork"). */
    protected String forkRefusedError() {
        return "Resource temporarily unavailable";
    }

    /** Whether {@link ExecutionEnvironment#usage()} reports CPU; where it cannot, the spin case checks the timeout alone. */
    protected boolean reportsCpuUsage() {
        return true;
    }

    /**
     * Whether the kind always has network (it declares {@code alwaysNetworked}, so selection never gives it where the
     * requirement forbids network): the egress case then checks that declaration instead of a closed network.
     */
    protected boolean networkAlwaysOn() {
        return false;
    }

    /** Whether an out-of-memory kill takes the whole environment down (then it must be startable again). */
    protected boolean memoryKillStopsTheEnvironment() {
        return false;
    }

    /**
     * Whether a fork bomb may take the whole environment down (STOPPED, then startable again): where no command can
     * be started inside while the bomb holds every process slot, the provider may enforce the timeout by stopping
     * the environment.
     */
    protected boolean forkBombMayStopTheEnvironment() {
        return false;
    }

    /** What a TCP connect to an address outside the environment fails with (strerror text). */
    protected String unreachableError() {
        return "Network is unreachable";
    }

    /** Whether creating a user namespace is refused (EPERM) rather than served by a kernel of the environment's own. */
    protected boolean userNamespacesRefused() {
        return true;
    }

    /** What a refused user namespace fails with (strerror text): EPERM, or ENOSPC where their count is held at zero. */
    protected String userNamespaceRefusedError() {
        return "Operation not permitted";
    }

    /**
     * Whether every system call inside is slow enough that the floods and the balloon must be smaller or given longer
     * (a kernel in user space: the output flood is 256m instead of 1g, the balloon gets 150 s instead of 60 s); the
     * limits asserted are the same.
     */
    protected boolean slowSyscalls() {
        return false;
    }

    /** Whether /proc/self/status reports the no-new-privileges flag. */
    protected boolean reportsNoNewPrivs() {
        return true;
    }

    // ---- life of one attack ----------------------------------------------------------------------------------

    @BeforeEach
    void startProvider() {
        provider = newProvider(stateDir);
        BackendRequirement.require(provider);
    }

    /** After each attack: the environment still serves (started again where the attack stopped it), then destroy leaves nothing. */
    @AfterEach
    void nothingIsLeft() {
        try {
            if (env == null) {
                return;
            }
            String id = env.id();
            try {
                if (env.status() == EnvironmentStatus.STOPPED) {
                    env.start();
                }
                assertThat(env.execute(ExecRequest.of("echo", "still serving")).stdoutText()).isEqualTo("still serving\n");
            } finally {
                env.destroy();
            }
            assertNothingLeft(env);
            assertThat(provider.discover()).noneMatch(e -> e.id().equals(id));
        } finally {
            provider.close();
        }
    }

    protected ExecutionEnvironment create(EnvironmentRequirement requirement) {
        env = ContractEnvironments.create(provider, requirement);
        return env;
    }

    protected ExecutionEnvironment create() {
        return create(requirement().build());
    }

    protected ExecResult sh(Duration timeout, String script, String... args) {
        return ContractEnvironments.sh(env, timeout, script, args);
    }

    /**
     * Waits until no process inside has {@code marker} in its command line. The marker is handed to the checking
     * shell in two halves, so that the check does not find itself.
     */
    protected void awaitNoProcessWith(String marker, Duration within) {
        List<String> last = new ArrayList<>();
        boolean gone = Deadline.poll(within, () -> {
            last.clear();
            last.addAll(processesWith(marker));
            return last.isEmpty();
        });
        assertThat(gone).as("no process with '%s' left within %s; found %s", marker, within, last).isTrue();
    }

    /** The processes inside whose command line holds {@code marker}: "PID COMMAND LINE" each. */
    protected List<String> processesWith(String marker) {
        String half = marker.substring(0, marker.length() / 2);
        String rest = marker.substring(marker.length() / 2);
        String script = "m=\"$1$2\"; for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null);"
                + " case \"$c\" in *\"$m\"*) echo \"${p#/proc/} $c\";; esac; done";
        ExecResult r = sh(Duration.ofSeconds(20), script, half, rest);
        assertThat(r.exitCode()).as("the process listing (stderr: %s)", r.stderrText()).isZero();
        return r.stdoutText().lines().toList();
    }

    private static void assertPathEscape(Runnable action, String what) {
        Throwable thrown = catchThrowable(action::run);
        assertThat(thrown).as(what + " must be refused (and no content returned)").isInstanceOf(PathEscapeException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.PATH_ESCAPE);
    }

    // ---- processes ---------------------------------------------------------------------------------------

    @Test
    void forkBombIsContainedAndGone() {
        create();
        ExecResult result = sh(Duration.ofSeconds(3), ": hostile-bomb; f() { f | f & }; f; sleep 10");
        assertThat(result.termination()).isIn(Termination.TIMEOUT, Termination.LIMIT_KILLED);
        if (forkBombMayStopTheEnvironment()) {
            // each look inside is itself an exec that a kernel in user space serves slowly while the bomb is dying
            Deadline.await(Duration.ofSeconds(slowSyscalls() ? 90 : 30), "the bomb is gone, or its environment stopped", () -> {
                if (env.status() == EnvironmentStatus.STOPPED) {
                    return true;
                }
                try {
                    return processesWith("hostile-bomb").isEmpty();
                } catch (StagecraftException | AssertionError noSlotYet) {
                    return false;
                }
            });
        } else {
            awaitNoProcessWith("hostile-bomb", Duration.ofSeconds(15));
        }
    }

    /**
     * The last line of a workspace file, read by a command; retried for a while, since the processes a flood left may
     * hold every slot of the limit until they are swept, and the reading command cannot start before.
     */
    private String lastLineOf(String file) {
        String[] last = {""};
        Deadline.await(Duration.ofSeconds(30), "a command that reads " + file, () -> {
            ExecResult read;
            try {
                read = sh(Duration.ofSeconds(10), "tail -n 1 " + file);
            } catch (StagecraftException noSlotYet) {
                return false;
            }
            last[0] = read.stdoutText().trim();
            return read.exitCode() == 0 && !last[0].isEmpty();
        });
        return last[0];
    }

    @Test
    void processFloodStopsAtThePidsLimit() {
        create();
        long cap = 4 * pidsLimit();
        // appended, never truncated: a flood cut short mid-write leaves the count before it, not an empty file
        ExecResult result = sh(Duration.ofSeconds(60), "i=0; while [ $i -lt $1 ]; do sleep 987654 & i=$((i+1));"
                + " echo $i >> spawned; done; echo all $i", Long.toString(cap));
        long spawned = Long.parseLong(lastLineOf("spawned"));
        assertThat(spawned).as("processes started before the limit").isLessThan(pidsLimit());
        assertThat(result.stdoutText()).doesNotContain("all");
        assertThat(result.exitCode()).isNotZero();
        if (pidsLimitHitsAreReported()) {
            assertThat(result.termination()).as(result.stderrText()).isEqualTo(Termination.LIMIT_KILLED);
            assertThat(result.detail()).contains("process limit " + pidsLimit());
        } else {
            assertThat(result.termination()).as(result.stderrText()).isEqualTo(Termination.EXITED);
            assertThat(result.stderrText()).contains(forkRefusedError());
        }
        awaitNoProcessWith("987654", Duration.ofSeconds(10));
    }

    @Test
    void memoryBalloonAtTwiceTheLimitIsKilled() {
        create(requirement().memoryBytes(64 * MIB).build());
        long granted = grantedMemoryBytes(64 * MIB);
        ExecResult result = sh(slowSyscalls() ? Duration.ofSeconds(150) : Duration.ofSeconds(60),
                "x=$(head -c $1 /dev/zero | tr '\\000' a); echo filled ${#x}", Long.toString(2 * granted));
        assertThat(result.termination()).as(result.stderrText()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).contains("memory limit " + Quantities.formatBytes(granted));
        assertThat(result.stdoutText()).doesNotContain("filled");
        if (memoryKillStopsTheEnvironment()) {
            assertThat(env.status()).as("the kill took the environment down").isEqualTo(EnvironmentStatus.STOPPED);
            assertThat(result.detail()).contains("stopped");
        } else {
            assertThat(env.status()).isIn(EnvironmentStatus.READY, EnvironmentStatus.RUNNING);
        }
    }

    @Test
    void cpuSpinsAreHeldToTheQuotaAndTimedOut() {
        create(requirement().cpus(0.5).build());
        for (String spinners : List.of("1", "4")) {
            ResourceUsage before = env.usage();
            long started = System.nanoTime();
            ExecResult result = sh(Duration.ofSeconds(2), "spin() { while :; do :; done; }; i=1;"
                    + " while [ $i -lt $1 ]; do spin & i=$((i+1)); done; spin", spinners);
            double wall = (System.nanoTime() - started) / 1e9;
            ResourceUsage after = env.usage();
            assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
            assertThat(wall).as("ends soon after its timeout").isLessThan(10);
            if (!reportsCpuUsage()) {
                continue;
            }
            assertThat(after.sampledAt()).isAfter(before.sampledAt());
            assertThat(after.cpuPercent()).as("%s spinning shell(s): CPU %% of one core since the sample before", spinners)
                    .isGreaterThan(10).isLessThan(50 * 1.3 + 5);
        }
    }

    @Test
    void sleepForeverIsTimedOut() {
        create();
        long started = System.nanoTime();
        ExecResult result = sh(Duration.ofSeconds(1), "sleep 999999");
        assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        awaitNoProcessWith("999999", Duration.ofSeconds(5));
    }

    /** Waits (up to 5 s) for the daemon's pid file, then prints "daemon running" if that process is alive. */
    private static final String AWAIT_DAEMON = "i=0; while [ ! -s daemon.pid ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1));"
            + " done; kill -0 \"$(cat daemon.pid)\" && echo daemon running";

    @Test
    void aDetachedChildIgnoringSignalsIsGoneWhenTheRunEnds() {
        create();
        // The daemon writes its pid before it sleeps; the run ends only once that pid is alive, so the attack ran.
        ExecResult result = sh(Duration.ofSeconds(20), "(setsid sh -c 'trap \"\" HUP TERM; echo $$ > daemon.pid;"
                + " exec sleep 876543' </dev/null >/dev/null 2>&1 &); " + AWAIT_DAEMON + "; exit 0");
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdoutText()).as("the daemon was running when the run ended").contains("daemon running");
        awaitNoProcessWith("876543", Duration.ofSeconds(3));
    }

    @Test
    void aDetachedChildWithAMisleadingNameIsGoneToo() {
        create();
        // A process's name is its program's file name, and may hold a newline and ") ": whatever reads /proc/PID/stat
        // line by line, or up to the first ") ", misreads its parent and session.
        ExecResult result = sh(Duration.ofSeconds(20), "d=\"$PWD/sc-876545\"; mkdir -p \"$d\"; f=\"$d/x) Z 1 1\n\";"
                + " printf '#!/bin/sh\\ntrap \"\" HUP TERM\\necho $$ > daemon.pid\\nwhile :; do sleep 1; done\\n' > \"$f\";"
                + " chmod +x \"$f\"; (setsid \"$f\" </dev/null >/dev/null 2>&1 &); " + AWAIT_DAEMON + "; exit 0");
        assertThat(result.termination()).as(result.stderrText()).isEqualTo(Termination.EXITED);
        assertThat(result.exitCode()).as(result.stderrText()).isZero();
        assertThat(result.stdoutText()).as("the daemon was running when the run ended").contains("daemon running");
        awaitNoProcessWith("sc-876545", Duration.ofSeconds(3));
    }

    // ---- storage --------------------------------------------------------------------------------------------

    @Test
    void devShmAndTmpFillsStopAtTheirSize() {
        create();
        if (!hasDevShm()) {
            ExecResult shm = sh(Duration.ofSeconds(10), "echo x > /dev/shm/sc-shm");
            assertThat(shm.exitCode()).as("writing /dev/shm where there is none").isNotZero();
        }
        for (String dir : hasDevShm() ? List.of("/dev/shm", "/tmp") : List.of("/tmp")) {
            // Files of 4 MiB (under the file-size limit) until the tmpfs is full, or two more than it holds.
            ExecResult result = sh(Duration.ofSeconds(30), "d=$1; i=0; "
                    + "while [ $i -lt $2 ] && dd if=/dev/zero of=$d/fill$i bs=1048576 count=4; do i=$((i+1)); done; "
                    + "echo $i $(cat $d/fill* | wc -c); rm -f $d/fill*", dir, Long.toString(scratchBytes() / (4 * MIB) + 2));
            assertThat(result.termination()).as(dir).isEqualTo(Termination.EXITED);
            assertThat(result.stderrText()).as(dir).contains("No space left");
            String[] counts = result.stdoutText().trim().split(" ");
            assertThat(Long.parseLong(counts[0])).as(dir + ": whole files written").isLessThanOrEqualTo(scratchBytes() / (4 * MIB));
            assertThat(Long.parseLong(counts[1])).as(dir + " holds at most its size").isLessThanOrEqualTo(scratchBytes());
        }
        assertThat(Path.of("/tmp/fill0")).as("the host's /tmp is not the environment's").doesNotExist();
    }

    @Test
    void oneHugeFileStopsAtTheFileSizeLimit() {
        create();
        ExecResult result = sh(Duration.ofSeconds(30), "head -c 104857600 /dev/zero > big");
        if (fileSizeBytes() <= 0) {
            assertThat(result.termination()).as(result.stderrText()).isEqualTo(Termination.EXITED);
            assertThat(result.exitCode()).as(result.stderrText()).isZero();
            assertThat(sh(Duration.ofSeconds(10), "wc -c < big").stdoutText().trim()).isEqualTo("104857600");
            return;
        }
        assertThat(result.termination()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).contains("file size limit " + fileSizeBytes() / MIB + "m");
        assertThat(sh(Duration.ofSeconds(10), "wc -c < big").stdoutText().trim()).isEqualTo(Long.toString(fileSizeBytes()));
    }

    @Test
    void descriptorExhaustionStopsAtTheOpenFilesLimit() {
        create();
        assertThat(sh(Duration.ofSeconds(10), "ulimit -n").stdoutText().trim()).isEqualTo(Long.toString(openFiles()));
        ExecResult result = sh(Duration.ofSeconds(30), "paste $(yes /dev/null | head -n $1) > /dev/null",
                Long.toString(openFiles() + 64));
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderrText()).contains("Too many open files");
    }

    @Test
    void readOnlyRootCannotBeWrittenOrRemounted() {
        create();
        ExecResult write = sh(Duration.ofSeconds(10), "touch /bin/stagecraft-hostile");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderrText()).contains(readOnlyWriteError());
        String bin = sh(Duration.ofSeconds(10), "readlink -f /bin").stdoutText().trim();
        assertThat(mountOptionsOf(bin)).as("the mount holding /bin").startsWith("ro");
        for (String attempt : List.of("mount -o remount,rw /", "mount -o remount,rw /bin", "mount -t tmpfs none /workspace",
                "unshare -m true")) {
            assertThat(sh(Duration.ofSeconds(10), attempt).exitCode()).as(attempt).isNotZero();
        }
        ExecResult after = sh(Duration.ofSeconds(10), "touch /bin/stagecraft-hostile");
        assertThat(after.stderrText()).as("still read-only").contains(readOnlyWriteError());
        assertThat(mountOptionsOf(bin)).as("still read-only").startsWith("ro");
        assertThat(Path.of("/bin/stagecraft-hostile")).doesNotExist();
    }

    /** The per-mount options (field 6 of /proc/self/mountinfo inside) of the mount that holds {@code path}. */
    private String mountOptionsOf(String path) {
        String best = "";
        String options = "";
        for (String line : sh(Duration.ofSeconds(10), "cat /proc/self/mountinfo").stdoutText().lines().toList()) {
            String[] fields = line.split(" ");
            String point = fields.length > 5 ? fields[4] : "";
            boolean holds = point.equals("/") || path.equals(point) || path.startsWith(point + "/");
            if (holds && point.length() >= best.length()) {
                best = point;
                options = fields[5];
            }
        }
        return options;
    }

    // ---- network --------------------------------------------------------------------------------------------

    @Test
    void noEgressToTheHostsLoopbackItsAddressesOrTheMetadataService() throws IOException {
        if (networkAlwaysOn()) {
            assertThat(provider.describe().alwaysNetworked()).as("a kind with network always on declares it").isTrue();
            create();
            return;
        }
        create();
        // Guard first: only lo exists inside, so nothing below can leave the environment's network.
        String links = sh(Duration.ofSeconds(10), "cat /proc/net/dev").stdoutText();
        assertThat(links.lines().skip(2).map(l -> l.trim().split(":")[0])).containsExactly("lo");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            ExecResult loopback = sh(Duration.ofSeconds(10), tool("nc") + " -w 3 127.0.0.1 $1 </dev/null",
                    Integer.toString(port));
            assertThat(loopback.exitCode()).isNotZero();
            assertThat(loopback.stderrText()).as("ECONNREFUSED: the environment's own lo").contains("Connection refused");
            assertThat(server.accept()).as("the host's service saw no connection").isNull();
        }
        List<String> targets = new ArrayList<>(List.of("169.254.169.254"));
        HostAddresses.firstIpv4().ifPresent(targets::add);
        for (String target : targets) {
            long started = System.nanoTime();
            ExecResult result = sh(Duration.ofSeconds(10), tool("nc") + " -w 3 $1 80 </dev/null", target);
            assertThat(result.exitCode()).as(target).isNotZero();
            assertThat(result.stderrText()).as(target).contains(unreachableError());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as(target + ": fails fast").isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void rawSocketsAreRefused() {
        create();
        ExecResult ping = sh(Duration.ofSeconds(10), tool("ping") + " -c 1 -W 1 127.0.0.1");
        assertThat(ping.exitCode()).isNotZero();
        assertThat(ping.stderrText()).contains("permission denied");
        assertThat(ping.stdoutText()).doesNotContain("bytes from");
    }

    @Test
    void noContainerEngineSocketInside() {
        create();
        // The scan also finds a canary file of its own, which proves that find ran and walked the tree.
        ExecResult sockets = sh(Duration.ofSeconds(30), "touch /tmp/sc-scan-canary && find / \\( -path /proc -o -path /sys \\)"
                + " -prune -o \\( -type s -o -name sc-scan-canary \\) -print 2>/dev/null;"
                + " for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock /run/podman/podman.sock;"
                + " do [ -e \"$s\" ] && echo \"$s\"; done; echo scanned");
        assertThat(sockets.stdoutText().lines().toList()).as("unix sockets inside (stderr: %s)", sockets.stderrText())
                .containsExactly("/tmp/sc-scan-canary", "scanned");
    }

    // ---- privileges -----------------------------------------------------------------------------------------

    @Test
    void refusedSyscallsFailWithEperm() {
        create();
        for (String call : List.of(tool("hostname") + " hostile", tool("reboot") + " -f", "unshare -n true")) {
            ExecResult result = sh(Duration.ofSeconds(10), call);
            assertThat(result.exitCode()).as(call).isNotZero();
            assertThat(result.stderrText()).as(call).contains("Operation not permitted");
        }
        ExecResult userns = sh(Duration.ofSeconds(10), "unshare -U true");
        if (userNamespacesRefused()) {
            assertThat(userns.stderrText()).as("unshare -U").contains(userNamespaceRefusedError());
        } else {
            assertThat(userns.exitCode()).as("unshare -U: a user namespace of the environment's own kernel").isZero();
        }
    }

    @Test
    void setuidBinariesGainNothing() {
        create();
        ExecResult status = sh(Duration.ofSeconds(10), "id -u; grep -E '^(CapEff|NoNewPrivs):' /proc/self/status");
        assertThat(status.stdoutText()).doesNotStartWith("0\n").containsPattern("CapEff:\\s+0+\\b");
        if (reportsNoNewPrivs()) {
            assertThat(status.stdoutText()).containsPattern("NoNewPrivs:\\s+1");
        }
        // Every setuid binary found is run; the scan also finds a canary of its own, which proves that find ran.
        ExecResult setuid = sh(Duration.ofSeconds(30), "touch /tmp/sc-setuid-canary && find / \\( -path /proc -o -path /sys"
                + " -o -path /workspace \\) -prune -o \\( -perm -4000 -type f -o -name sc-setuid-canary \\) -print 2>/dev/null"
                + " | { n=0; while read -r f; do case \"$f\" in */sc-setuid-canary) echo canary seen;;"
                + " *) \"$f\" --help </dev/null >/dev/null 2>&1; n=$((n+1));; esac; done; echo ran $n; }; id -u");
        List<String> lines = setuid.stdoutText().lines().toList();
        assertThat(lines).as(setuid.stderrText()).contains("canary seen").anyMatch(l -> l.matches("ran [0-9]+"));
        assertThat(lines.get(lines.size() - 1)).as("uid after running them").isNotEqualTo("0");
        ExecResult su = sh(Duration.ofSeconds(10), "su -c id root </dev/null");
        assertThat(su.exitCode()).isNotZero();
        assertThat(su.stdoutText()).doesNotContain("uid=0");
    }

    // ---- files and environment ----------------------------------------------------------------------------

    @Test
    void aSymlinkToAHostFileNeverBringsItBack() throws IOException {
        Path canary = hostDir.resolve("canary.txt");
        Files.writeString(canary, "host secret");
        create();
        assertThat(sh(Duration.ofSeconds(10), "ln -s \"$1\" canary && ln -s /etc/passwd passwd && ln -s \"$2\" hostdir",
                canary.toString(), hostDir.toString()).exitCode()).isZero();
        for (String path : List.of("canary", "passwd", "hostdir/canary.txt")) {
            Throwable thrown = catchThrowable(() -> env.getFile(path, 1024));
            assertThat(thrown).as("get " + path).isInstanceOf(PathEscapeException.class);
        }
        assertPathEscape(() -> env.putFile("canary", "overwritten".getBytes(UTF_8)), "put onto a symlink");
        assertThat(Files.readString(canary)).isEqualTo("host secret");
    }

    @Test
    void dotDotAndAbsolutePathsAreRefused() {
        create();
        for (String path : List.of("../x", "a/../../x", "..", "/etc/passwd", "/tmp/stagecraft-hostile", "./../x")) {
            assertPathEscape(() -> env.getFile(path, 1024), "get " + path);
            assertPathEscape(() -> env.putFile(path, new byte[] {1}), "put " + path);
        }
        assertThat(Path.of("/tmp/stagecraft-hostile")).doesNotExist();
    }

    @Test
    void noManagerVariableIsVisibleInAnyProcessInside() {
        create();
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done 2>/dev/null; echo scanned=$$")
                .env("CANARY_MINE", "request").timeout(Duration.ofSeconds(10)).build());
        // a process of another user (a VM's own agent) has an environ this user cannot read: the scan goes on
        assertThat(result.stdoutText()).as(result.stderrText()).containsPattern("(?m)^scanned=[0-9]+$");
        Set<String> inside = new HashSet<>();
        result.stdoutText().lines().filter(l -> l.indexOf('=') > 0).forEach(l -> inside.add(l.substring(0, l.indexOf('='))));
        assertThat(inside).contains("PATH", "CANARY_MINE");
        Set<String> generic = Set.of("PATH", "PWD", "HOME", "HOSTNAME", "SHLVL", "TERM", "_", "OLDPWD", "LANG");
        Set<String> hostOnly = new HashSet<>(System.getenv().keySet());
        hostOnly.removeAll(generic);
        assertThat(hostOnly).as("this JVM has variables of its own to leak (canaries)").isNotEmpty();
        assertThat(inside).as("variables of any process inside").doesNotContainAnyElementsOf(hostOnly);
        for (String value : System.getenv().values()) {
            if (value.length() >= 12 && !value.startsWith("/")) {
                assertThat(result.stdoutText()).as("a value of this JVM's environment").doesNotContain(value);
            }
        }
    }

    // ---- output -----------------------------------------------------------------------------------------

    @Test
    void floodsOfOutputAreCappedAndTheHeapStaysFlat() {
        create();
        long before = usedHeap();
        long flood = slowSyscalls() ? 256 * MIB : 1024 * MIB;
        ExecResult gigabyte = sh(Duration.ofSeconds(120), "head -c $1 /dev/zero", Long.toString(flood));
        assertThat(gigabyte.termination()).isEqualTo(Termination.EXITED);
        assertThat(gigabyte.truncated()).isTrue();
        assertThat(gigabyte.stdout()).hasSize((int) ExecRequest.DEFAULT_OUTPUT_LIMIT);
        ExecResult line = sh(Duration.ofSeconds(60), "head -c $1 /dev/zero | tr '\\000' a", Long.toString(flood / 10));
        assertThat(line.termination()).isEqualTo(Termination.EXITED);
        assertThat(line.truncated()).isTrue();
        assertThat(line.stdoutText()).hasSize((int) ExecRequest.DEFAULT_OUTPUT_LIMIT).matches("a+");
        long grown = usedHeap() - before;
        assertThat(grown).as("heap growth after " + (flood + flood / 10) / MIB + "m of output").isLessThan(64 * MIB);
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
