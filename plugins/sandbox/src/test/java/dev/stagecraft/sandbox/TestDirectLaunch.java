package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bubblewrap started without a shell in front: what reaches it, what it reports, and how a failed start ends. */
class TestDirectLaunch {
    @TempDir
    Path stateDir;

    @Test
    void isTheLauncherWhereTheCLibraryAllowsIt() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        if (BackendRequirement.isCi()) {
            assertThat(NativeSpawn.available()).as("CI runs Debian 12: glibc 2.36 has posix_spawn with closefrom").isTrue();
        }
        assertThat(provider.probe().details().get("launcher")).startsWith(NativeSpawn.available() ? "direct" : "shell");
        assertThat(SandboxFixtures.provider(stateDir, Map.of("launcher", "shell")).probe().details().get("launcher"))
                .startsWith("shell");
    }

    @Test
    void aSpawnedChildHasExactlyTheDescriptorsAskedForInANewSessionWithDefaultSignals() throws Exception {
        requireSpawn();
        Path canary = Files.writeString(stateDir.resolve("canary"), "canary-content");
        try (FileInputStream heldByTheJvm = new FileInputStream(canary.toFile())) {
            NativeSpawn.Spawned child = NativeSpawn.spawn(List.of("/bin/sh", "-c",
                            "ls /proc/$$/fd | tr '\\n' ' '; echo; cat <&3; echo; grep -E '^(SigBlk|SigIgn)' /proc/self/status;"
                                    + " cut -d' ' -f6 /proc/$$/stat; echo $$; pwd"),
                    List.of("PATH=/usr/bin:/bin"), List.of(new NativeSpawn.ChildReads(), new NativeSpawn.ChildWrites(),
                            new NativeSpawn.ChildWrites(), new NativeSpawn.ReadOnlyFile(canary)));
            int[] ends = child.parentEnds();
            SpawnedProcess process = new SpawnedProcess(child.pid(), new PipeStreams.Out(ends[0]),
                    new PipeStreams.In(ends[1]), new PipeStreams.In(ends[2]));
            process.stdin().close();
            String out = read(process.stdout());
            String err = read(process.stderr());
            assertThat(process.waitFor(Duration.ofSeconds(10))).isTrue();
            assertThat(process.exitCode()).as(err).isZero();
            List<String> lines = out.lines().toList();
            assertThat(lines.get(0).trim()).as("only 0-3, although this JVM holds many more").isEqualTo("0 1 2 3");
            assertThat(lines.get(1)).isEqualTo("canary-content");
            assertThat(lines.get(2)).matches("SigBlk:\\s+0+");
            assertThat(lines.get(3)).matches("SigIgn:\\s+0+");
            assertThat(lines.get(4)).as("session id is its own pid").isEqualTo(lines.get(5));
            assertThat(lines.get(6)).isEqualTo("/");
            assertThat(heldByTheJvm.read()).as("the JVM's own descriptor still works").isEqualTo('c');
        }
    }

    @Test
    void bubblewrapHoldsNoDescriptorOfTheManager() throws Exception {
        requireSpawn();
        Path canary = Files.writeString(stateDir.resolve("held-open"), "x");
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        ExecutionEnvironment env = provider.create(SandboxFixtures.spec());
        try (FileInputStream held = new FileInputStream(canary.toFile()); ServerSocket socket = new ServerSocket(0)) {
            CompletableFuture<ExecResult> sleeping = CompletableFuture.supplyAsync(() -> env.execute(ExecRequest.of("sleep", "3")));
            List<ProcessHandle> tree = awaitSandboxTree();
            assertThat(tree).as("bubblewrap, its init and sleep").hasSizeGreaterThanOrEqualTo(3);
            List<String> targets = new ArrayList<>();
            for (ProcessHandle p : tree) {
                try (var fds = Files.list(Path.of("/proc/" + p.pid() + "/fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            targets.add(Files.readSymbolicLink(fd).toString());
                        } catch (IOException gone) {
                            // closed while we looked
                        }
                    }
                }
            }
            assertThat(targets).isNotEmpty()
                    .noneMatch(t -> t.equals(canary.toString()))
                    .noneMatch(t -> t.endsWith(".jar"))
                    .noneMatch(t -> t.startsWith("socket:"));
            assertThat(sleeping.get(20, TimeUnit.SECONDS).exitCode()).isZero();
        } finally {
            env.destroy();
        }
    }

    @Test
    void aCgroupThatCannotBeJoinedFailsTheStartAndLeavesNoProcess() throws Exception {
        requireSpawn();
        SeccompFilter.Programs filter = SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        List<String> command = BwrapCommand.direct(Probe.findOnPath("bwrap"), BwrapCommand.Layout.trial(), "", 1 << 20,
                Map.of("PATH", "/usr/bin"), List.of("sleep", "300"));
        Path missing = stateDir.resolve("no-such-cgroup").resolve("cgroup.procs");
        assertThatThrownBy(() -> DirectLaunch.start(command, filter, List.of(missing), rlimits()))
                .isInstanceOf(DirectLaunch.JoinFailed.class)
                .hasMessageContaining("cannot join " + missing);
        assertThat(Deadline.poll(Duration.ofSeconds(10), () -> sandboxProcesses().isEmpty()))
                .as("bubblewrap and its sandbox are killed").isTrue();
    }

    @Test
    void bubblewrapFailingBeforeItsSandboxSaysWhyOnStderr() throws Exception {
        requireSpawn();
        SeccompFilter.Programs filter = SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        List<String> command = new ArrayList<>(BwrapCommand.direct(Probe.findOnPath("bwrap"), BwrapCommand.Layout.trial(), "", 1 << 20,
                Map.of("PATH", "/usr/bin"), List.of("true")));
        command.add(1, "--no-such-option");
        assertThat(stderrOfFailedStart(command, filter)).contains("--no-such-option");
    }

    @Test
    void bubblewrapFailingWhileItMakesItsSandboxSaysWhyOnStderr() throws Exception {
        requireSpawn();
        SeccompFilter.Programs filter = SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
        Path missing = stateDir.resolve("no-such-workspace");
        List<String> command = BwrapCommand.direct(Probe.findOnPath("bwrap"), new BwrapCommand.Layout(missing, null, null, false, List.of()), "", 1 << 20,
                Map.of("PATH", "/usr/bin"), List.of("true"));
        assertThat(stderrOfFailedStart(command, filter)).startsWith("bwrap: ").contains(missing.toString());
    }

    @Test
    void anInitThatIsAlreadyGoneIsToldApartFromAFailedJoin() throws Exception {
        requireSpawn();
        // bubblewrap reported its init and then failed while it made the sandbox: the init is gone when it is joined,
        // and the launcher leaves the explaining to bubblewrap's stderr and exit code instead of failing the join.
        Process done = new ProcessBuilder("true").start();
        assertThat(done.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> DirectLaunch.join((int) done.pid(), List.of(), rlimits()));
        assertThat(thrown).isInstanceOf(DirectLaunch.InitGone.class).hasMessageContaining("no such process");
    }

    /** Starts {@code command}, which bubblewrap refuses: it must end with exit code 1; returns its stderr. */
    private static String stderrOfFailedStart(List<String> command, SeccompFilter.Programs filter) throws Exception {
        HostProcess process = DirectLaunch.start(command, filter, List.of(), rlimits());
        process.stdin().close();
        String err = read(process.stderr());
        read(process.stdout());
        assertThat(process.waitFor(Duration.ofSeconds(10))).isTrue();
        assertThat(process.exitCode()).as(err).isEqualTo(1);
        return err;
    }

    private static BwrapCommand.Rlimits rlimits() {
        return new BwrapCommand.Rlimits(64, 1 << 20, 0);
    }

    private static void requireSpawn() {
        BackendRequirement.require(SandboxFixtures.provider(Path.of(System.getProperty("java.io.tmpdir")), Map.of()));
        if (!NativeSpawn.available()) {
            BackendRequirement.missing("the C library lacks posix_spawn with closefrom (glibc < 2.34; Debian 12 has 2.36)");
        }
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** bubblewrap (a child of this JVM) and everything below it, once its program runs. */
    private static List<ProcessHandle> awaitSandboxTree() {
        List<List<ProcessHandle>> found = new ArrayList<>();
        Deadline.poll(Duration.ofSeconds(10), () -> {
            for (ProcessHandle child : ProcessHandle.current().children()
                    .filter(c -> c.info().command().orElse("").endsWith("bwrap")).toList()) {
                List<ProcessHandle> tree = new ArrayList<>(List.of(child));
                tree.addAll(child.descendants().toList());
                if (tree.stream().anyMatch(p -> p.info().command().orElse("").endsWith("sleep"))) {
                    found.add(tree);
                    return true;
                }
            }
            return false;
        });
        return found.isEmpty() ? List.of() : found.get(0);
    }

    private static List<ProcessHandle> sandboxProcesses() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().orElse("").endsWith("bwrap") || p.info().command().orElse("").endsWith("sleep"))
                .toList();
    }
}
