package dev.stagecraft.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.Deadline;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile battery: real programs doing what untrusted code does, in a real sandbox. Each ends with the right
 * status, leaves the host and this JVM unaffected, and after destroy leaves no process, cgroup, mount or
 * directory of its environment.
 *
 * <p>Covered elsewhere, not repeated here: a planted symlink fetched through getFile, and {@code ..} or absolute
 * paths in file put/get (ProviderContract.symlinksPlantedInsideAreRefused, pathsLeavingTheWorkspaceAreRefused);
 * the host's environment invisible to a command (ProviderContract.environmentHoldsOnlyWhatTheRequestSets); raw
 * sockets, TIOCSTI and every refused syscall by errno ({@link TestSeccompSyscalls}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TestHostileCode {
    private static final long MIB = 1L << 20;

    @TempDir
    static Path probes;
    private static byte[] hostile;

    @TempDir
    Path stateDir;
    private SandboxProvider provider;
    private SandboxEnvironment env;
    private List<Path> cgroupDirs;

    @BeforeAll
    static void compile() {
        hostile = SandboxFixtures.compiledProbe(probes, "hostile");
    }

    @BeforeEach
    void provider() {
        provider = SandboxFixtures.usableProvider(stateDir, Map.of("pids", "64", "tmp-size", "16m", "file-size", "8m"));
    }

    private SandboxEnvironment create(EnvironmentRequirement requirement) {
        env = (SandboxEnvironment) provider.create(SandboxFixtures.spec(requirement));
        cgroupDirs = env.cgroup().procsFiles().stream().map(Path::getParent).toList();
        env.putFile("hostile", hostile);
        assertThat(env.execute(ExecRequest.of("chmod", "+x", "hostile")).exitCode()).isZero();
        return env;
    }

    private SandboxEnvironment create() {
        return create(EnvironmentRequirement.builder().build());
    }

    private ExecResult run(Duration timeout, String... argv) {
        return env.execute(ExecRequest.builder(argv).timeout(timeout).build());
    }

    /** After each attack: the sandbox still serves, then destroy leaves nothing of it anywhere. */
    @AfterEach
    void nothingIsLeft() throws IOException {
        if (env == null) {
            return;
        }
        String id = env.id();
        Path envDir = env.directory().dir();
        try {
            assertThat(env.execute(ExecRequest.of("echo", "still serving")).stdoutText()).isEqualTo("still serving\n");
        } finally {
            env.destroy();
        }
        assertThat(cgroupDirs).isNotEmpty().noneMatch(Files::exists);
        assertThat(envDir).doesNotExist();
        assertThat(processesInCgroupOf(id)).as("processes left in the environment's cgroup").isEmpty();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(id);
        assertThat(provider.discover()).noneMatch(e -> e.id().equals(id));
    }

    @Test
    void forkBombStopsAtThePidsLimit() {
        create();
        ExecResult result = run(Duration.ofSeconds(3), "sh", "-c", "f() { f | f & }; f; sleep 10");
        assertThat(result.termination()).isIn(Termination.TIMEOUT, Termination.LIMIT_KILLED);
        assertThat(env.cgroup().pidsLimitHits()).as("forks refused at pids.max").isPositive();
        Deadline.await(Duration.ofSeconds(10), "the bomb is gone", () -> env.cgroup().pids().isEmpty());
    }

    @Test
    void threadBombStopsAtThePidsLimit() {
        create();
        ExecResult result = run(Duration.ofSeconds(20), "./hostile", "threads");
        assertThat(result.termination()).as(result.stdoutText()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).contains("process limit 64");
        assertThat(result.stdoutText()).matches("threads [0-9]+ 11\n");
        assertThat(Long.parseLong(result.stdoutText().split(" ")[1])).isLessThan(64);
    }

    @Test
    void memoryBalloonAtTwiceTheLimitIsKilled() {
        create(EnvironmentRequirement.builder().memoryBytes(64 * MIB).build());
        ExecResult result = run(Duration.ofSeconds(30), "./hostile", "balloon", "128");
        assertThat(result.termination()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).contains("memory limit 64m");
        assertThat(result.stdoutText()).doesNotContain("touched all");
    }

    @Test
    void devShmAndTmpFillsStopAtTheirSize() {
        create();
        for (String dir : List.of("/dev/shm", "/tmp")) {
            // Files of 4 MiB (under the 8 MiB file-size limit) until the tmpfs is full, or 100 of them.
            ExecResult result = run(Duration.ofSeconds(30), "sh", "-c", "d=$1; i=0; "
                    + "while [ $i -lt 100 ] && head -c 4194304 /dev/zero > $d/fill$i; do i=$((i+1)); done; "
                    + "echo $i $(cat $d/fill* | wc -c)", "sh", dir);
            assertThat(result.termination()).as(dir).isEqualTo(Termination.EXITED);
            assertThat(result.stderrText()).as(dir).contains("No space left");
            String[] counts = result.stdoutText().trim().split(" ");
            assertThat(Integer.parseInt(counts[0])).as(dir + ": whole files written").isLessThan(5);
            assertThat(Long.parseLong(counts[1])).as(dir + " holds at most tmp-size").isLessThanOrEqualTo(16 * MIB);
        }
        assertThat(Path.of("/tmp/fill0")).as("the host's /tmp is not the sandbox's").doesNotExist();
    }

    @Test
    void oneHugeFileStopsAtTheFileSizeLimit() throws IOException {
        create();
        ExecResult result = run(Duration.ofSeconds(30), "sh", "-c", "head -c 104857600 /dev/zero > big");
        assertThat(result.termination()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).contains("file size limit 8m");
        assertThat(Files.size(env.directory().workspace().resolve("big"))).isEqualTo(8 * MIB);
    }

    @Test
    void descriptorExhaustionStopsAtTheOpenFilesLimit() {
        create();
        ExecResult result = run(Duration.ofSeconds(20), "./hostile", "fds");
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.exitCode()).isEqualTo(4);
        assertThat(result.stdoutText()).as("EMFILE after 1024 minus stdin/out/err").isEqualTo("fds 1021 24\n");
    }

    @Test
    void cpuSpinsAreHeldToTheQuotaAndTimedOut() {
        create(EnvironmentRequirement.builder().cpus(0.5).build());
        for (String threads : List.of("1", "4")) {
            long cpuBefore = env.cgroup().cpuNanos();
            long started = System.nanoTime();
            ExecResult result = run(Duration.ofSeconds(2), "./hostile", "spin", threads);
            double wall = (System.nanoTime() - started) / 1e9;
            double cpu = (env.cgroup().cpuNanos() - cpuBefore) / 1e9;
            assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
            assertThat(wall).as("ends soon after its timeout").isLessThan(10);
            assertThat(cpu).as(threads + " spinning thread(s): cpu seconds in %.2fs of wall", wall)
                    .isGreaterThan(0.3).isLessThan(0.5 * wall * 1.3 + 0.2);
        }
    }

    @Test
    void sleepForeverIsTimedOut() {
        create();
        long started = System.nanoTime();
        ExecResult result = run(Duration.ofSeconds(1), "sleep", "infinity");
        assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(env.cgroup().pids()).isEmpty();
    }

    @Test
    void floodsOfOutputAreCappedAndTheHeapStaysFlat() {
        create();
        long before = usedHeap();
        ExecResult gigabyte = run(Duration.ofSeconds(90), "head", "-c", Long.toString(1L << 30), "/dev/zero");
        assertThat(gigabyte.termination()).isEqualTo(Termination.EXITED);
        assertThat(gigabyte.truncated()).isTrue();
        assertThat(gigabyte.stdout()).hasSize((int) ExecRequest.DEFAULT_OUTPUT_LIMIT);
        ExecResult line = run(Duration.ofSeconds(60), "sh", "-c", "head -c 104857600 /dev/zero | tr '\\000' a");
        assertThat(line.termination()).isEqualTo(Termination.EXITED);
        assertThat(line.truncated()).isTrue();
        assertThat(line.stdoutText()).hasSize((int) ExecRequest.DEFAULT_OUTPUT_LIMIT).matches("a+");
        long grown = usedHeap() - before;
        assertThat(grown).as("heap growth after 1.1 GB of output").isLessThan(64 * MIB);
    }

    @Test
    void aDetachedChildIgnoringSignalsIsGoneWhenTheRunEnds() {
        create();
        ExecResult result = run(Duration.ofSeconds(20), "./hostile", "daemon");
        assertThat(result.termination()).isEqualTo(Termination.EXITED);
        assertThat(result.exitCode()).isZero();
        Deadline.await(Duration.ofSeconds(3), "no process of the run left in the cgroup",
                () -> env.cgroup().pids().isEmpty() && processesInCgroupOf(env.id()).isEmpty());
    }

    @Test
    void noEgressToTheHostsLoopbackItsAddressesOrTheMetadataService() throws IOException {
        create();
        // Guard first: only lo exists inside, so nothing below can leave the sandbox's network namespace.
        String links = run(Duration.ofSeconds(10), "cat", "/proc/net/dev").stdoutText();
        assertThat(links.lines().skip(2).map(l -> l.trim().split(":")[0])).containsExactly("lo");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            ExecResult loopback = run(Duration.ofSeconds(10), "./hostile", "connect", "127.0.0.1", Integer.toString(port));
            assertThat(loopback.stdoutText()).as("ECONNREFUSED: the sandbox's own lo").startsWith("connect 111 ");
            assertThat(server.accept()).as("the host's service saw no connection").isNull();
        }
        List<String> targets = new ArrayList<>(List.of("169.254.169.254"));
        hostAddress().ifPresent(targets::add);
        for (String target : targets) {
            ExecResult result = run(Duration.ofSeconds(10), "./hostile", "connect", target, "80");
            String[] parts = result.stdoutText().trim().split(" ");
            assertThat(parts[1]).as(target + ": ENETUNREACH").isEqualTo("101");
            assertThat(Long.parseLong(parts[2])).as(target + ": fails fast (ms)").isLessThan(1000);
        }
    }

    @Test
    void readOnlyBindsCannotBeWrittenOrRemounted() {
        create();
        ExecResult write = run(Duration.ofSeconds(10), "sh", "-c", "touch /usr/stagecraft-hostile");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderrText()).contains("Read-only file system");
        ExecResult remount = run(Duration.ofSeconds(10), "mount", "-o", "remount,rw", "/usr");
        assertThat(remount.exitCode()).isNotZero();
        ExecResult mount = run(Duration.ofSeconds(10), "mount", "-t", "tmpfs", "none", "/workspace");
        assertThat(mount.exitCode()).isNotZero();
        assertThat(run(Duration.ofSeconds(10), "cat", "/proc/self/mountinfo").stdoutText())
                .containsPattern("(?m)^\\S+ \\S+ \\S+ \\S+ /usr ro,");
        assertThat(Path.of("/usr/stagecraft-hostile")).doesNotExist();
    }

    @Test
    void setuidBinariesGainNothing() throws Exception {
        create();
        Path suid = env.directory().workspace().resolve("hostile-suid");
        Files.write(suid, hostile);
        Process chmod = new ProcessBuilder("chmod", "4755", suid.toString()).start();
        assertThat(chmod.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(chmod.exitValue()).isZero();
        ExecResult whoami = run(Duration.ofSeconds(10), "./hostile-suid", "whoami");
        assertThat(whoami.stdoutText()).startsWith("euid 1000 ").containsPattern("NoNewPrivs:\\s+1")
                .containsPattern("CapEff:\\s+0+\\b");
        ExecResult su = run(Duration.ofSeconds(10), "su", "-c", "id", "root");
        assertThat(su.exitCode()).isNotZero();
        assertThat(su.stdoutText()).doesNotContain("uid=0");
    }

    @Test
    void noHostVariableIsVisibleInAnyProcessInside() {
        create();
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done").env("CANARY_MINE", "request").build());
        assertThat(result.exitCode()).isZero();
        List<String> names = result.stdoutText().lines().filter(l -> l.contains("="))
                .map(l -> l.substring(0, l.indexOf('='))).distinct().toList();
        assertThat(names).contains("PATH", "CANARY_MINE");
        // PWD is the sandboxed shell's own (it sets it on start), not the host's.
        assertThat(result.stdoutText().lines().filter(l -> l.startsWith("PWD="))).isNotEmpty()
                .allMatch(l -> l.equals("PWD=/workspace"));
        // PATH, PWD, and the sandbox's own HOME and LANG (its values, checked in the provider contract) are not the host's
        List<String> hostNames = System.getenv().keySet().stream()
                .filter(n -> !List.of("PATH", "PWD", "HOME", "LANG").contains(n)).toList();
        assertThat(names).doesNotContainAnyElementsOf(hostNames).isSubsetOf("PATH", "CANARY_MINE", "PWD", "HOME", "LANG");
        assertThat(result.stdoutText().lines().filter(l -> l.startsWith("HOME=") || l.startsWith("LANG=")))
                .allMatch(l -> l.equals("HOME=/home/sandbox") || l.equals("LANG=C.UTF-8"));
    }

    @Test
    void highAndCriticalLevelsAreRefused() {
        for (SecurityLevel level : List.of(SecurityLevel.HIGH, SecurityLevel.CRITICAL)) {
            var spec = SandboxFixtures.spec(EnvironmentRequirement.builder().securityLevel(level).build());
            assertThatThrownBy(() -> provider.create(spec)).isInstanceOf(ProvisioningException.class)
                    .hasMessageContaining("security level " + level.label()).hasMessageContaining("low and medium");
            assertThat(provider.envsDir().resolve(spec.id())).doesNotExist();
        }
        create(EnvironmentRequirement.builder().securityLevel(SecurityLevel.LOW).build());
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static java.util.Optional<String> hostAddress() throws IOException {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress address : nic.inetAddresses().toList()) {
                    if (address instanceof Inet4Address) {
                        return java.util.Optional.of(address.getHostAddress());
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** Host processes whose cgroup path names environment {@code id}. */
    static List<Long> processesInCgroupOf(String id) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cgroup")), UTF_8).contains("/" + id);
                } catch (IOException e) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
