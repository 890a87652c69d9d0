package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.BackendRequirement;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands through the agent kept open in the pod ({@link AgentPool}) on the test cluster: the same view as an exec of
 * their own, the agent reused between commands, a second one for a concurrent command, timeouts and stop.
 */
class TestAgentPath {
    /** Prints the PIDs of the agents: the shells whose command line holds the agent's script. */
    private static final String AGENT_PIDS = "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -q '[t]he image has no"
            + " setsid' && echo ${d#/proc/}; done; true";

    @TempDir
    static Path dir;
    static KubernetesProvider provider;
    static ExecutionEnvironment env;

    @BeforeAll
    static void environment() {
        provider = KubernetesFixtures.provider(dir);
        BackendRequirement.require(provider);
        env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
    }

    @AfterAll
    static void destroy() {
        if (env != null) {
            env.destroy();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    void commandsSeeTheirArgumentsEnvironmentAndDirectoryExactlyAndReuseOneAgent() {
        env.execute(ExecRequest.of("mkdir", "-p", "sub dir"));
        String odd = "it's \"quoted\"\nsecond line $N `x` \\ end";
        ExecResult r = env.execute(ExecRequest.builder("sh", "-c", "printf '%s|%s|%s' \"$1\" \"$ODD\" \"$(pwd)\"; echo err >&2; exit 3",
                "sh", odd).env("ODD", odd).workingDir("sub dir").build());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdoutText()).isEqualTo(odd + "|" + odd + "|/workspace/sub dir");
        assertThat(r.stderrText()).isEqualTo("err\n");
        String first = env.execute(ExecRequest.of("sh", "-c", AGENT_PIDS)).stdoutText();
        String second = env.execute(ExecRequest.of("sh", "-c", AGENT_PIDS)).stdoutText();
        assertThat(first.lines()).as("agents open").isNotEmpty().hasSizeLessThanOrEqualTo(AgentPool.MAX);
        assertThat(second).as("commands one after another reuse the agents open").isEqualTo(first);
    }

    @Test
    void filesUpTo32KiBGoThroughAnAgentLargerOnesByAnExecOfTheirOwn() {
        KubernetesEnvironment k8s = (KubernetesEnvironment) env;
        env.execute(ExecRequest.of("true")); // an agent is open
        byte[] small = bytes(32 * 1024);
        byte[] large = bytes(100 * 1024);
        int before = k8s.execsOpened();
        env.putFile("files/small.bin", small);
        assertThat(env.getFile("files/small.bin", 1 << 20)).isEqualTo(small);
        assertThat(env.getFile("files/small.bin", 10)).hasSize(10);
        env.putFile("files/small.bin", new byte[0]);
        assertThat(env.getFile("files/small.bin", 1 << 20)).isEmpty();
        env.execute(ExecRequest.of("ln", "-s", "/etc", "files/out"));
        assertThatThrownBy(() -> env.putFile("files/out/x", small)).isInstanceOf(PathEscapeException.class);
        assertThatThrownBy(() -> env.getFile("files/out/passwd", 1 << 20)).isInstanceOf(PathEscapeException.class);
        assertThat(k8s.execsOpened()).as("no exec of their own").isEqualTo(before);

        env.putFile("files/large.bin", large);
        assertThat(env.getFile("files/large.bin", 1 << 20)).isEqualTo(large);
        assertThat(k8s.execsOpened()).as("one exec, for the large write (stdin)").isEqualTo(before + 1);
    }

    @Test
    void stdinUpTo60KiBGoesThroughAnAgentExactlyAndWhatIsLeftUnreadNeverReachesTheNextCommand() {
        KubernetesEnvironment k8s = (KubernetesEnvironment) env;
        env.execute(ExecRequest.of("true"));
        byte[] binary = bytes(AgentPool.MAX_STDIN);
        int before = k8s.execsOpened();
        assertThat(env.execute(ExecRequest.builder("cat").stdin(binary).build()).stdout()).isEqualTo(binary);
        assertThat(env.execute(ExecRequest.builder("true").stdin(binary).build()).exitCode()).as("reads none of it").isZero();
        byte[] forged = "abc\nSCE0 0\n'; echo spilled; '\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(env.execute(ExecRequest.builder("head", "-c", "3").stdin(forged).build()).stdoutText()).isEqualTo("abc");
        assertThat(env.execute(ExecRequest.of("echo", "next")).stdoutText()).isEqualTo("next\n");
        assertThat(k8s.execsOpened()).as("no exec of their own").isEqualTo(before);

        ExecResult slow = env.execute(ExecRequest.builder("sleep", "30").stdin(binary).timeout(Duration.ofSeconds(2)).build());
        assertThat(slow.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(env.execute(ExecRequest.builder("cat").stdin("after\n".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .build()).stdoutText()).isEqualTo("after\n");

        int beforeLarge = k8s.execsOpened();
        ExecResult large = env.execute(ExecRequest.builder("wc", "-c").stdin(bytes(100 * 1024)).build());
        assertThat(large.stdoutText().trim()).isEqualTo(Integer.toString(100 * 1024));
        assertThat(k8s.execsOpened()).as("more than 60 KiB: an exec of its own").isEqualTo(beforeLarge + 1);
    }

    /** Every byte value, over and over. */
    private static byte[] bytes(int length) {
        byte[] content = new byte[length];
        for (int i = 0; i < length; i++) {
            content[i] = (byte) (i * 7 + i / 256);
        }
        return content;
    }

    private static void awaitProcess(String args) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!env.execute(ExecRequest.of("ps", "-o", "args")).stdoutText().lines().anyMatch(args::equals)) {
            assertThat(System.nanoTime() - end).as("'" + args + "' running within 30 s").isNegative();
        }
    }

    @Test
    void aConcurrentCommandGetsAnAgentOfItsOwn() throws Exception {
        CompletableFuture<ExecResult> slow = CompletableFuture.supplyAsync(() -> env.execute(ExecRequest.of("sh", "-c",
                "sleep 3; echo slow")));
        awaitProcess("sleep 3"); // the slow command holds an agent
        ExecResult quick = env.execute(ExecRequest.of("sh", "-c", AGENT_PIDS));
        assertThat(slow).isNotDone();
        assertThat(quick.stdoutText().lines()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(slow.get(30, TimeUnit.SECONDS).stdoutText()).isEqualTo("slow\n");
    }

    @Test
    void largeOutputAndMarkerLikeTextArriveWholeAndTheCapHolds() {
        ExecResult big = env.execute(ExecRequest.of("sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \"SCB SCE line $i\"; i=$((i+1)); done"));
        assertThat(big.stdoutText().lines()).hasSize(20000).endsWith("SCB SCE line 19999");
        ExecResult capped = env.execute(ExecRequest.builder("sh", "-c", "yes | head -c 100000").outputLimit(1000).build());
        assertThat(capped.stdout()).hasSize(1000);
        assertThat(capped.truncated()).isTrue();
        assertThat(env.execute(ExecRequest.of("echo", "next")).stdoutText()).isEqualTo("next\n");
    }

    @Test
    void aTimeoutKillsTheCommandAndTheNextOneRuns() {
        ExecResult r = env.execute(ExecRequest.builder("sh", "-c", "sleep 30 & sleep 30").timeout(Duration.ofSeconds(1)).build());
        assertThat(r.termination()).isEqualTo(Termination.TIMEOUT);
        assertThat(env.execute(ExecRequest.of("sh", "-c", "ps -o args | grep -c '^sleep 30'; true")).stdoutText()).isEqualTo("0\n");
        assertThat(env.execute(ExecRequest.of("echo", "after")).stdoutText()).isEqualTo("after\n");
    }

    @Test
    void aTimeoutWhoseKillEndsTheAgentTooIsStillATimeout() throws Exception {
        // what the fallback of a kill that cannot finish does (PodScripts.KILL_EVERYTHING: the fork bomb under load)
        ExecutionEnvironment own = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
        ExecutorService workers = Executors.newCachedThreadPool();
        try (KubernetesClient client = KubernetesFixtures.client()) {
            String pod = PodLabels.objectName(own.id());
            PodExec exec = new PodExec(client, "default", pod, own.id(), workers);
            Runnable killEverything = () -> assertThat(exec.run(List.of("sh", "-c", PodScripts.KILL_EVERYTHING), new byte[0],
                    1024, null, Duration.ofSeconds(20), () -> { }).exitCode()).isEqualTo(PodScripts.KILLED_EVERYTHING);
            try (AgentSession agent = AgentSession.open(client, "default", pod)) {
                List<String> runArgs = List.of(UUID.randomUUID().toString(), PodScripts.WORKSPACE, "0", "1024", "1048576", "512",
                        "PATH=/usr/bin:/bin", "sleep", "30");
                AgentSession.Ended ended = agent.run(runArgs, new byte[0], workers, OutputStream.nullOutputStream(),
                        OutputStream.nullOutputStream(), Duration.ofSeconds(1), killEverything, PodExec.AFTER_KILL);
                assertThat(ended.timedOut()).as("the agent's stream broke after the kill it asked for").isTrue();
                assertThat(agent.alive()).isFalse();
            }
        } finally {
            workers.shutdownNow();
            own.destroy();
        }
    }

    @Test
    void aStopEndsTheRunningCommandAndAStartServesAgain() throws Exception {
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> env.execute(ExecRequest.of("sleep", "60")));
        awaitProcess("sleep 60");
        env.stop();
        assertThat(running.get(30, TimeUnit.SECONDS).termination()).isEqualTo(Termination.ENVIRONMENT_STOPPED);
        env.start();
        assertThat(env.execute(ExecRequest.of("echo", "again")).stdoutText()).isEqualTo("again\n");
    }
}
