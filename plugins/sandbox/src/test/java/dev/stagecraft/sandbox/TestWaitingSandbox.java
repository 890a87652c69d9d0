package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.Deadline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox made ahead of an environment's first command: it is there before the command, the command sees
 * exactly what a command in a fresh sandbox sees, and nothing of it outlives the environment or the manager.
 */
class TestWaitingSandbox {
    /** Everything a command can tell about where it runs, in a stable order. */
    private static final String LOOK = "echo \"args:$#:$1|$2|$3\"; pwd; env | sort; id; ls /proc/self/fd | sort | tr '\\n' ' ';"
            + " echo; ulimit -n -f -c; grep -E '^(Seccomp|NoNewPrivs|CapEff|CapBnd):' /proc/self/status; cat /proc/self/cgroup;"
            + " cat";

    @TempDir
    Path stateDir;

    @Test
    void aNewEnvironmentHasItsFirstSandboxWaitingInItsCgroup() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            Deadline.await(Duration.ofSeconds(5), "bubblewrap's init and the waiting shell in the cgroup",
                    () -> env.cgroup().pidsCurrent() == 2);
            assertThat(waitingShells(env.id())).hasSize(1);
            ExecResult first = env.execute(ExecRequest.of("true"));
            assertThat(first.exitCode()).isZero();
            assertThat(waitingShells(env.id())).as("taken by the first command, not made again").isEmpty();
        } finally {
            SandboxFixtures.destroyAndClose(env, provider);
        }
    }

    @Test
    void theFirstCommandSeesExactlyWhatAFreshSandboxShows() throws IOException {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            env.putFile("sub dir/x", "x".getBytes());
            ExecRequest look = ExecRequest.builder("sh", "-c", LOOK, "sh", "it's", "two\nlines", "-x $HOME `id`")
                    .env("GREETING", "it's\n'quoted' $HOME").env("PATH", "/usr/bin:/bin").env("HOME", "/elsewhere")
                    .workingDir("sub dir").stdin("from stdin\n").build();
            ExecResult first = env.execute(look);
            ExecResult second = env.execute(look);
            assertThat(first.exitCode()).as(first.stderrText()).isZero();
            assertThat(first.stdoutText()).isEqualTo(second.stdoutText());
            assertThat(first.stderrText()).isEqualTo(second.stderrText());
            assertThat(first.stdoutText()).contains("args:3:it's|two\nlines|-x $HOME `id`", "/workspace/sub dir\n",
                    "GREETING=it's\n", "\n'quoted' $HOME\n", "HOME=/elsewhere", "from stdin", "uid=1000");
            assertThat(first.stdoutText().lines().filter(l -> l.matches("[0-9 ]+")).findFirst()).as("descriptors")
                    .contains("0 1 2 3 ");
            assertThat(first.stdoutText()).contains("NoNewPrivs:\t1", "Seccomp:\t2");
        } finally {
            SandboxFixtures.destroyAndClose(env, provider);
        }
    }

    @Test
    void aProgramThatCannotRunIsReportedAsInAFreshSandbox() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            ExecResult first = env.execute(ExecRequest.of("no-such-program"));
            ExecResult second = env.execute(ExecRequest.of("no-such-program"));
            for (ExecResult missing : List.of(first, second)) {
                assertThat(missing.exitCode()).isEqualTo(127);
                assertThat(missing.termination()).isEqualTo(Termination.EXITED);
                assertThat(missing.detail()).isEqualTo("cannot execute no-such-program: No such file or directory");
            }
            ExecResult notExecutable = env.execute(ExecRequest.of("/tmp"));
            assertThat(notExecutable.exitCode()).isEqualTo(126);
        } finally {
            SandboxFixtures.destroyAndClose(env, provider);
        }
    }

    @Test
    void aCommandTheShellCannotCarryStartsAFreshSandbox() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            ExecResult result = env.execute(ExecRequest.builder("env").env("NOT-A-SHELL-NAME", "kept").build());
            assertThat(result.exitCode()).as(result.stderrText()).isZero();
            assertThat(result.stdoutText()).contains("NOT-A-SHELL-NAME=kept\n");
            assertThat(waitingShells(env.id())).as("the waiting one was ended, not left").isEmpty();
        } finally {
            SandboxFixtures.destroyAndClose(env, provider);
        }
    }

    @Test
    void stopAndDestroyEndItAndItsDescriptors() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        long before = openDescriptors();
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
            ids.add(env.id());
            if (i % 2 == 0) {
                env.stop();
                Deadline.await(Duration.ofSeconds(10), "nothing left in the cgroup", () -> env.cgroup().pidsCurrent() == 0);
                env.start();
                assertThat(env.execute(ExecRequest.of("true")).exitCode()).isZero();
            }
            env.destroy();
        }
        try {
            Deadline.await(Duration.ofSeconds(10), "no waiting shell left",
                    () -> ids.stream().allMatch(id -> waitingShells(id).isEmpty()));
            assertThat(openDescriptors()).as("four pipe ends per waiting sandbox would show").isLessThan(before + 12);
        } finally {
            provider.close();
        }
    }

    @Test
    void itIsNotMadeWhenSwitchedOff() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of("prespawn", false));
        SandboxEnvironment env = (SandboxEnvironment) provider.create(SandboxFixtures.spec());
        try {
            assertThat(env.cgroup().pidsCurrent()).isZero();
            assertThat(env.execute(ExecRequest.of("true")).exitCode()).isZero();
        } finally {
            SandboxFixtures.destroyAndClose(env, provider);
        }
    }

    @Test
    void commandLinesQuoteEveryWordAndRefuseWhatTheShellCannotCarry() {
        assertThat(WaitingSandbox.commandLine("/workspace", Map.of("A", "it's"), List.of("echo", "a b")))
                .contains("cd '/workspace' || exit 1; unset PWD OLDPWD; export 'A=it'\\''s'; exec 'echo' 'a b'");
        assertThat(WaitingSandbox.commandLine("/workspace", Map.of(), List.of("printf", "1\n2")))
                .contains("cd '/workspace' || exit 1; unset PWD OLDPWD; exec 'printf' '1'\"$N\"'2'");
        assertThat(WaitingSandbox.commandLine("/workspace", Map.of("1A", "x"), List.of("true"))).isEmpty();
        assertThat(WaitingSandbox.commandLine("/workspace", Map.of(), List.of("a\0b"))).isEmpty();
        assertThat(WaitingSandbox.notExecuted(127, "stagecraft-exec: 1: exec: nope: not found\n"))
                .contains("cannot execute nope: No such file or directory");
        assertThat(WaitingSandbox.notExecuted(126, "stagecraft-exec: 1: exec: /etc: Permission denied\n"))
                .contains("cannot execute /etc: Permission denied");
        assertThat(WaitingSandbox.notExecuted(127, "sh: 1: nope: not found\n")).isEqualTo(Optional.empty());
    }

    /** Host processes that are a waiting shell (its {@code $0} names it) in the cgroup of environment {@code id}. */
    private static List<ProcessHandle> waitingShells(String id) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> a.length == 3
                && a[2].equals(WaitingSandbox.NAME)).orElse(false) && cgroupOf(p).contains(id)).toList();
    }

    private static String cgroupOf(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc/" + process.pid() + "/cgroup"));
        } catch (IOException gone) {
            return "";
        }
    }

    private static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
