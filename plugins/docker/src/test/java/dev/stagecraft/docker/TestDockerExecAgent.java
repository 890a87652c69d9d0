package dev.stagecraft.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.Deadline;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exec agent against the real Engine: commands go through it (the command's wrapper is a child of the agent, not
 * an exec of the Engine), byte-exact whatever the argv, environment and stdin hold, one after the other without
 * mixing their output; and when it cannot serve (a second command at once, a request too big for it, an agent that
 * stopped answering or died with its container) the command still runs, through an Engine exec, or ends with one
 * clear result.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestDockerExecAgent extends DockerProviderTest {
    /** Prints the command line of the wrapper's parent: the agent's ({@code ... stagecraft-agent}) or nothing (an exec). */
    private static final String PARENT_OF_WRAPPER = "w=$(cut -d' ' -f4 /proc/$PPID/stat); { tr '\\000' ' ' < /proc/$w/cmdline; } 2>/dev/null; true";


    private ExecutionEnvironment create() {
        return create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
    }

    private static ExecResult sh(ExecutionEnvironment env, String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        argv.addAll(List.of(args));
        return env.execute(ExecRequest.builder(argv).timeout(Duration.ofSeconds(30)).build());
    }

    /**
     * Waits until the command in flight has made the workspace file {@code busy}, watched through the archive API,
     * which takes no agent (a command would compete for one).
     */
    private static void awaitBusy(ExecutionEnvironment env) {
        Deadline.await(Duration.ofSeconds(20), "the first command to run", () -> {
            try {
                return env.getFile("busy", 16).length == 0;
            } catch (RuntimeException notYet) {
                return false;
            }
        });
    }

    private static boolean ranThroughTheAgent(ExecutionEnvironment env) {
        return sh(env, PARENT_OF_WRAPPER).stdoutText().endsWith("stagecraft-agent ");
    }

    @ParameterizedTest
    @EnumSource(value = IsolationLevel.class, names = {"CONTAINER", "USER_KERNEL"})
    void manySequentialCommandsRunThroughTheAgentWithTheirOwnOutputAndExitCodes(IsolationLevel isolation) {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), isolation);
        assertThat(sh(env, PARENT_OF_WRAPPER).stdoutText()).as("the wrapper's parent").endsWith("stagecraft-agent ");
        for (int i = 0; i < 40; i++) {
            ExecResult result = sh(env, "echo out-$1; echo err-$1 >&2; printf 'no newline'; exit $(($1 % 7))", String.valueOf(i));
            assertThat(result.stdoutText()).isEqualTo("out-" + i + "\nno newline");
            assertThat(result.stderrText()).isEqualTo("err-" + i + "\n");
            assertThat(result.exitCode()).isEqualTo(i % 7);
            assertThat(result.termination()).isEqualTo(Termination.EXITED);
        }
        assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
    }

    @ParameterizedTest
    @ValueSource(strings = {DockerFixtures.BUSYBOX, DockerFixtures.PYTHON})
    void argvEnvironmentAndStdinArriveByteForByteInBusyboxAndDash(String image) {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().option("image", image).build(), IsolationLevel.CONTAINER);
        assertThat(ranThroughTheAgent(env)).isTrue();
        String nasty = "it's \"quoted\" $HOME `id` $(id) \\ back\\slash\n\nnew\r\nlines\t'\\''  ünïcødé ☃ \u0001\u001e\u007f 'end";
        ExecResult args = env.execute(ExecRequest.builder("sh", "-c", "for a in \"$@\"; do printf '%s|' \"$a\"; done; printf '%s' \"$V\"",
                "sh", nasty, "", "\n", "'").env("V", nasty).timeout(Duration.ofSeconds(30)).build());
        assertThat(args.stdoutText()).isEqualTo(nasty + "||\n|'|" + nasty);
        assertThat(args.exitCode()).isZero();

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int round = 0; round < 3; round++) {
            for (int b = 1; b < 256; b++) {
                bytes.write(b);
            }
            bytes.writeBytes("\n\n'\\''\"$nl\"\036stagecraft:".getBytes(UTF_8));
        }
        byte[] stdin = bytes.toByteArray();
        ExecResult echoed = env.execute(ExecRequest.builder("cat").stdin(stdin).timeout(Duration.ofSeconds(30)).build());
        assertThat(echoed.stdout()).isEqualTo(stdin);
        ExecResult counted = env.execute(ExecRequest.builder("wc", "-c").stdin(stdin).timeout(Duration.ofSeconds(30)).build());
        assertThat(counted.stdoutText().trim()).isEqualTo(String.valueOf(stdin.length));

        byte[] medium = new byte[200_000];
        for (int i = 0; i < medium.length; i++) {
            medium[i] = (byte) (i % 97 == 0 ? '\n' : 'a' + i % 26);
        }
        ExecResult longRequest = env.execute(ExecRequest.builder("sh", "-c", "cat; echo; " + PARENT_OF_WRAPPER).stdin(medium)
                .timeout(Duration.ofSeconds(30)).build());
        assertThat(longRequest.stdoutText()).as("a request longer than a line, read with head -c")
                .startsWith(new String(medium, UTF_8) + "\n").endsWith("stagecraft-agent ");
        assertThat(sh(env, "echo still; exit 4").exitCode()).as("the agent reads the next request where it should").isEqualTo(4);
    }

    @Test
    void outputThatFakesAMarkerIsJustOutput() {
        ExecutionEnvironment env = create();
        String fake = "\036stagecraft:" + "0".repeat(32) + " 0\036";
        ExecResult result = sh(env, "printf \"$1\"; printf \"$1\" >&2; printf '\\036stagecraft:\\036\\036'; exit 3", fake);
        assertThat(result.stdoutText()).isEqualTo(fake + "\036stagecraft:\036\036");
        assertThat(result.stderrText()).isEqualTo(fake);
        assertThat(result.exitCode()).isEqualTo(3);
    }

    @Test
    void aBackgroundWriterLeftByOneCommandDoesNotReachTheNext() {
        ExecutionEnvironment env = create();
        for (int i = 0; i < 5; i++) {
            ExecResult first = sh(env, "(while :; do echo background; echo background >&2; sleep 0.01; done) & "
                    + "(setsid sh -c 'while :; do echo detached; sleep 0.01; done' &); sleep 0.2; echo first");
            assertThat(first.stdoutText()).contains("first\n");
            ExecResult next = sh(env, "sleep 0.3; echo next");
            assertThat(next.stdoutText()).isEqualTo("next\n");
            assertThat(next.stderrText()).isEmpty();
        }
        assertThat(sh(env, "grep -l -e 'backgroun[d]' -e 'detache[d]' /proc/[0-9]*/cmdline 2>/dev/null; true")
                .stdoutText()).as("no writer left").isEmpty();
    }

    @Test
    void concurrentCommandsInOneEnvironmentRunThroughExtraAgentsAndAllSucceed() throws Exception {
        ExecutionEnvironment env = create();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String n = String.valueOf(i);
                results.add(pool.submit(() -> sh(env, "echo out-$1; sleep 0.2; echo err-$1 >&2; exit $1", n)));
            }
            for (int i = 0; i < 10; i++) {
                ExecResult result = results.get(i).get(60, TimeUnit.SECONDS);
                assertThat(result.stdoutText()).isEqualTo("out-" + i + "\n");
                assertThat(result.stderrText()).isEqualTo("err-" + i + "\n");
                assertThat(result.exitCode()).isEqualTo(i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(ranThroughTheAgent(env)).as("the agent serves again once alone").isTrue();
    }

    @Test
    void aCommandWhileTheAgentIsBusyRunsThroughAnExtraAgentThatStaysForTheNext() throws Exception {
        ExecutionEnvironment env = create();
        assertThat(ranThroughTheAgent(env)).isTrue();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (int round = 0; round < 3; round++) {
                Future<ExecResult> busy = pool.submit(() -> sh(env, "touch busy; sleep 1.5; rm busy; echo first"));
                awaitBusy(env);
                // An extra agent is an exec's process: its parent is outside the container (PPid 0), not docker-init.
                ExecResult meanwhile = sh(env, "echo second; a=$(cut -d' ' -f4 /proc/$PPID/stat); grep PPid /proc/$a/status; "
                        + PARENT_OF_WRAPPER);
                assertThat(meanwhile.stdoutText()).startsWith("second\nPPid:\t0\n").endsWith("stagecraft-agent ");
                assertThat(busy.get(30, TimeUnit.SECONDS).stdoutText()).isEqualTo("first\n");
            }
            // The extra one also kills what times out, through its own PID file, and serves again afterwards.
            Future<ExecResult> busy = pool.submit(() -> sh(env, "touch busy; sleep 3; rm busy"));
            awaitBusy(env);
            ExecResult slow = env.execute(ExecRequest.builder("sh", "-c", "sleep 876546 & sleep 876547").timeout(Duration.ofSeconds(1)).build());
            assertThat(slow.termination()).isEqualTo(Termination.TIMEOUT);
            ExecResult left = sh(env, "for p in /proc/[0-9]*; do tr '\\000' ' ' < $p/cmdline 2>/dev/null; echo; done");
            assertThat(left.stdoutText()).as("the processes inside").contains("sleep 3").doesNotContain("sleep 87654");
            assertThat(busy.get(30, TimeUnit.SECONDS).exitCode()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(value = IsolationLevel.class, names = {"CONTAINER", "USER_KERNEL"})
    void aTimeoutKillsTheProcessGroupAndTheAgentServesTheNextCommand(IsolationLevel isolation) {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), isolation);
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "sleep 765432 & (sleep 765433 &); echo started; sleep 765434")
                .timeout(Duration.ofSeconds(1)).build());
        assertThat(result.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(result.exitCode()).isEqualTo(ExecResult.TIMEOUT_EXIT_CODE);
        assertThat(result.stdoutText()).isEqualTo("started\n");
        assertThat(sh(env, "grep -l '7654[3]' /proc/[0-9]*/cmdline 2>/dev/null; true").stdoutText())
                .as("the command's group and what left it").isEmpty();
        assertThat(ranThroughTheAgent(env)).isTrue();
        assertThat(sh(env, "echo after").stdoutText()).isEqualTo("after\n");
    }

    @Test
    void aRequestTooBigForTheAgentGoesThroughAnExec() {
        ExecutionEnvironment env = create();
        byte[] big = new byte[(AgentRequest.BODY_MAX) + 1];
        java.util.Arrays.fill(big, (byte) 'x');
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "wc -c; " + PARENT_OF_WRAPPER).stdin(big)
                .timeout(Duration.ofSeconds(30)).build());
        assertThat(result.stdoutText()).startsWith(big.length + "\n").doesNotContain("stagecraft-agent");
        ExecResult nul = env.execute(ExecRequest.builder("wc", "-c").stdin(new byte[] {'a', 0, 'b'}).timeout(Duration.ofSeconds(30)).build());
        assertThat(nul.stdoutText().trim()).as("stdin with a NUL byte, through an exec").isEqualTo("3");
        assertThat(ranThroughTheAgent(env)).isTrue();
    }

    @Test
    void killingTheContainerUnderTheAgentEndsTheCommandAsStoppedAndStartBringsTheAgentBack() throws Exception {
        ExecutionEnvironment env = create();
        env.putFile("kept.txt", "kept".getBytes(UTF_8));
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> sh(env, "echo begun; sleep 60"));
        Deadline.await(Duration.ofSeconds(10), "the command runs", () -> env.status() == EnvironmentStatus.RUNNING);
        DockerFixtures.client(provider).killContainerCmd(((DockerEnvironment) env).containerId()).exec();
        ExecResult result = running.get(30, TimeUnit.SECONDS);
        assertThat(result.termination()).isEqualTo(Termination.ENVIRONMENT_STOPPED);
        assertThat(result.detail()).contains("stopped").doesNotContain("\n");
        assertThat(env.status()).isEqualTo(EnvironmentStatus.STOPPED);

        Throwable whileStopped = catchThrowable(() -> sh(env, "true"));
        assertThat(whileStopped).isInstanceOf(StagecraftException.class).hasMessageContaining("start it first");
        assertThat(((StagecraftException) whileStopped).code()).isEqualTo(ErrorCode.ILLEGAL_STATE);

        env.start();
        assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
        assertThat(ranThroughTheAgent(env)).isTrue();
        assertThat(sh(env, "cat kept.txt").stdoutText()).isEqualTo("kept");
    }

    @Test
    void anAgentThatStopsAnsweringCostsOneTimeoutThenCommandsGoThroughExecs() {
        ExecutionEnvironment env = create();
        // The command stops the agent (its parent's parent, same uid) and ends; the agent never reports it.
        ExecResult stalled = env.execute(ExecRequest.builder("sh", "-c", "a=$(cut -d' ' -f4 /proc/$PPID/stat); kill -STOP $a; echo stopped")
                .timeout(Duration.ofSeconds(2)).build());
        assertThat(stalled.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(stalled.duration()).isLessThan(Duration.ofSeconds(2).plus(ExecCall.CLOSE_GRACE).plusSeconds(5));
        ExecResult next = sh(env, "echo served; " + PARENT_OF_WRAPPER);
        assertThat(next.stdoutText()).startsWith("served\n").doesNotContain("stagecraft-agent");
        assertThat(next.exitCode()).isZero();
        assertThat(sh(env, "echo again").stdoutText()).isEqualTo("again\n");
    }

    @Test
    void aRestartedProviderAttachesToTheAgentOfTheContainerItAdopts() {
        ExecutionEnvironment original = create();
        assertThat(ranThroughTheAgent(original)).isTrue();
        DockerProvider restarted = DockerFixtures.provider(stateDir);
        try {
            ExecutionEnvironment adopted = restarted.discover().stream().filter(e -> e.id().equals(original.id())).findFirst()
                    .orElseThrow();
            assertThat(ranThroughTheAgent(adopted)).isTrue();
            ExecResult big = adopted.execute(ExecRequest.builder("head", "-c", "3000000", "/dev/zero").timeout(Duration.ofSeconds(30))
                    .build());
            assertThat(big.stdout()).as("output reaches the adopter while the first provider's channel drains it too")
                    .hasSize((int) ExecRequest.DEFAULT_OUTPUT_LIMIT);
            assertThat(sh(original, "echo first").stdoutText()).isEqualTo("first\n");
        } finally {
            restarted.close();
        }
    }

    @Test
    void anotherProcessOnThisHostRunsThroughAnEngineExecWhileTheAgentIsBusy() throws Exception {
        ExecutionEnvironment env = create();
        DockerProvider other = DockerFixtures.provider(stateDir);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            ExecutionEnvironment seenByOther = other.discover().stream().filter(e -> e.id().equals(env.id())).findFirst().orElseThrow();
            Future<ExecResult> busy = pool.submit(() -> sh(env, "touch busy; sleep 2; echo first; " + PARENT_OF_WRAPPER));
            awaitBusy(seenByOther);
            ExecResult meanwhile = sh(seenByOther, "echo second; " + PARENT_OF_WRAPPER);
            assertThat(meanwhile.stdoutText()).as("the agent is another process's for now: an Engine exec")
                    .startsWith("second\n").doesNotContain("stagecraft-agent");
            assertThat(busy.get(30, TimeUnit.SECONDS).stdoutText()).startsWith("first\n").endsWith("stagecraft-agent ");
            assertThat(ranThroughTheAgent(seenByOther)).as("free again, the other process uses the agent").isTrue();
        } finally {
            pool.shutdownNow();
            other.close();
        }
    }

    @Test
    void clientsWithoutASharedLockStillGetOnlyTheirOwnOutput(@TempDir Path elsewhere) throws Exception {
        // Another host, or another state folder: nothing keeps the two from writing to the agent at once. It runs their
        // requests one after the other, and each client drops what comes before its own request's begin marker.
        ExecutionEnvironment env = create();
        DockerProvider other = DockerFixtures.provider(elsewhere);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            ExecutionEnvironment seenByOther = other.discover().stream().filter(e -> e.id().equals(env.id())).findFirst().orElseThrow();
            String lines = "i=0; while [ $i -lt 20000 ]; do echo $1-$i; i=$((i+1)); done; echo $1-err >&2";
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 20000; i++) {
                expected.append("%s-").append(i).append('\n');
            }
            for (int round = 0; round < 3; round++) {
                Future<ExecResult> a = pool.submit(() -> sh(env, lines, "a"));
                Future<ExecResult> b = pool.submit(() -> sh(seenByOther, lines, "b"));
                ExecResult fromA = a.get(60, TimeUnit.SECONDS);
                ExecResult fromB = b.get(60, TimeUnit.SECONDS);
                assertThat(fromA.stdoutText()).isEqualTo(expected.toString().replace("%s", "a"));
                assertThat(fromA.stderrText()).isEqualTo("a-err\n");
                assertThat(fromB.stdoutText()).isEqualTo(expected.toString().replace("%s", "b"));
                assertThat(fromB.stderrText()).isEqualTo("b-err\n");
            }
            assertThat(ranThroughTheAgent(env)).isTrue();
            assertThat(ranThroughTheAgent(seenByOther)).isTrue();
        } finally {
            pool.shutdownNow();
            other.close();
        }
    }

    @Test
    void aCustomInitCommandMeansNoAgentAndEveryCommandIsAnExec() {
        java.util.Map<String, Object> settings = new java.util.HashMap<>(DockerFixtures.testSettings());
        settings.put("init-command", List.of("sh", "-c", "while :; do sleep 3600; done"));
        provider.close();
        provider = DockerFixtures.provider(stateDir, settings);
        ExecutionEnvironment env = create();
        ExecResult result = sh(env, "echo plain; " + PARENT_OF_WRAPPER);
        assertThat(result.stdoutText()).isEqualTo("plain\n");
        assertThat(env.execute(ExecRequest.builder("cat").stdin("in").timeout(Duration.ofSeconds(30)).build()).stdoutText())
                .isEqualTo("in");
    }
}
