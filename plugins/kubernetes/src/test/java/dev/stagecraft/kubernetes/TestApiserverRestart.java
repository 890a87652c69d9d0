package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test cluster's kube-apiserver stopped while a command runs, then started again by the set-up step: the command's
 * call ends (with its result or one clear error, never a hang), the environment serves again once the apiserver is
 * back, and its destroy leaves nothing behind. Stops a daemon the whole machine shares, for up to half a minute.
 */
class TestApiserverRestart {
    private static final Path PID_FILE = Path.of("/var/lib/stagecraft/kubernetes/run/kube-apiserver.pid");

    @TempDir
    Path dir;

    @Test
    void aCommandRunningWhileTheApiserverRestartsEndsAndTheEnvironmentServesAgain() throws Exception {
        KubernetesProvider provider = KubernetesFixtures.provider(dir);
        BackendRequirement.require(provider);
        if (!Files.isReadable(PID_FILE)) {
            throw new AssertionError("the test cluster's apiserver pid file " + PID_FILE + " is missing: this test restarts"
                    + " the cluster of scripts/setup.d/60-kubernetes.sh only");
        }
        ExecutionEnvironment env = provider.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
        try (KubernetesClient client = KubernetesFixtures.client()) {
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            StringBuffer stdout = new StringBuffer();
            OutputListener firstOutput = new OutputListener() {
                @Override
                public void stdout(byte[] chunk, int offset, int length) {
                    stdout.append(new String(chunk, offset, length, StandardCharsets.UTF_8));
                    started.countDown();
                }

                @Override
                public void stderr(byte[] chunk, int offset, int length) {
                }
            };
            CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return env.execute(ExecRequest.builder("sh", "-c", "echo started; sleep 20; echo finished")
                            .timeout(Duration.ofSeconds(90)).build(), firstOutput);
                } catch (StagecraftException e) {
                    return e;
                }
            });
            assertThat(started.await(60, TimeUnit.SECONDS)).as("the command's first output").isTrue();
            stopApiserver();
            Thread.sleep(2000); // the outage itself: the apiserver stays down this long before it is started again
            startApiserver();

            Object ended = running.get(120, TimeUnit.SECONDS);
            if (ended instanceof ExecResult) {
                assertThat(stdout.toString()).as("what came back before the stream broke").startsWith("started");
            } else {
                StagecraftException error = (StagecraftException) ended;
                assertThat(error.getMessage()).as("one line naming what broke").doesNotContain("\n").contains(env.id());
            }
            Deadline.await(Duration.ofSeconds(60), "the environment serves again", () -> {
                try {
                    return env.execute(ExecRequest.of("echo", "back")).stdoutText().equals("back\n");
                } catch (StagecraftException notYet) {
                    return false;
                }
            });
            env.destroy();
            KubernetesFixtures.assertNothingLeft(client, "default", env.id());
        } finally {
            env.destroy();
            provider.close();
        }
    }

    private static void stopApiserver() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(PID_FILE).trim());
        ProcessHandle apiserver = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no apiserver with pid " + pid));
        apiserver.destroy();
        // kube-apiserver 1.20 stops listening at once but may take minutes to exit after SIGTERM (seen here: an open
        // exec stream); the set-up step's own stop waits 30 s, then kills it. Half that, then the kill.
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (apiserver.isAlive() && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        apiserver.destroyForcibly();
        Deadline.await(Duration.ofSeconds(30), "the apiserver to exit", () -> !apiserver.isAlive());
    }

    /** The set-up step starts what is not running, and only that. */
    private static void startApiserver() throws IOException, InterruptedException {
        Path script = Path.of("../../scripts/install-deps.sh").toAbsolutePath().normalize();
        Process setup = new ProcessBuilder("bash", script.toString(), "kubernetes").redirectErrorStream(true).start();
        String output = new String(setup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(setup.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(setup.exitValue()).as(output).isZero();
        assertThat(List.of(output.split("\n"))).as(output).anyMatch(line -> line.contains("starting kube-apiserver"));
    }
}
