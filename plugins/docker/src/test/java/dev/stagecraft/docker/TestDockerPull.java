package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.tck.BackendRequirement;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A missing image pulled from a real registry: the local one scripts/setup.d/20-docker.sh runs on 127.0.0.1:5005,
 * holding an image that is never kept on the Engine (4 MiB of random bytes, so the pull downloads something).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestDockerPull extends DockerProviderTest {
    static final String REGISTRY = "127.0.0.1:5005";
    static final String IMAGE = REGISTRY + "/stagecraft/pulltest:1";

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream stderr;

    private DockerProvider pulling() {
        requireRegistry();
        provider.close();
        provider = DockerFixtures.provider(stateDir, Map.of("images", Map.of("default", DockerFixtures.BUSYBOX), "pull", true));
        removeLocalCopy();
        stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        return provider;
    }

    @AfterEach
    void restoreStderrAndForgetTheImage() {
        if (stderr != null) {
            System.setErr(stderr);
        }
        for (ExecutionEnvironment env : made) {
            env.destroy();
        }
        made.clear();
        removeLocalCopy();
    }

    @Test
    void aMissingImageIsPulledWithProgressLinesAndRuns() {
        pulling();
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().option("image", IMAGE).build(), IsolationLevel.CONTAINER);
        assertThat(env.execute(ExecRequest.builder("cat", "/data/random").outputLimit(8 << 20).build()).stdout()).hasSize(4 << 20);
        String progress = captured.toString(StandardCharsets.UTF_8);
        assertThat(progress).contains("stagecraft docker: pulling " + IMAGE + " ...")
                // the layer: busybox and 4 MiB of random bytes, which gzip cannot shrink
                .containsPattern("stagecraft docker: pulled " + IMAGE.replace(".", "\\.") + " \\(([5-9]\\.\\d) of \\1 MB downloaded,"
                        + " 1 of 1 layers done, \\d+\\.\\d s\\)");
    }

    @Test
    void anImageTheRegistryDoesNotHaveFailsInOneLine() {
        pulling();
        String absent = REGISTRY + "/stagecraft/never-pushed:1";
        Throwable thrown = catchThrowable(() -> create(EnvironmentRequirement.builder().option("image", absent).build(),
                IsolationLevel.CONTAINER));
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        assertThat(thrown.getMessage()).doesNotContain("\n").contains(absent).contains("pulling it failed")
                .contains("providers.docker.images.generic");
    }

    /**
     * Pull is on by default; with no registry reachable (Docker Hub is not from the build machines, and nothing
     * listens on 127.0.0.1:1) the Engine refuses the pull at once, and the create fails in one line naming the image.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stagecraft/never-built:1", "127.0.0.1:1/stagecraft/never-built:1"})
    void aMissingImageWithNoRegistryReachableFailsInOneLineAtOnce(String absent) {
        provider.close();
        provider = DockerFixtures.provider(stateDir, Map.of("images", Map.of("default", DockerFixtures.BUSYBOX)));
        long started = System.nanoTime();
        Throwable thrown = catchThrowable(() -> create(EnvironmentRequirement.builder().option("image", absent).build(),
                IsolationLevel.CONTAINER));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        assertThat(thrown.getMessage()).doesNotContain("\n").contains("'" + absent + "'").contains("pulling it failed")
                .contains("providers.docker.images.generic");
        assertThat(took).as("no wait for a registry that is not there").isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void progressLinesComeEveryTwoSecondsWhileLayersDownload() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        PullProgress progress = new PullProgress("r/i:1", new PrintStream(out, true, StandardCharsets.UTF_8), now::get);
        progress.onNext(item("1", "Pulling from r/i", null, null));
        progress.onNext(item("a", "Already exists", null, null));
        progress.onNext(item("b", "Downloading", 1_000_000L, 3_000_000L));
        now.addAndGet(PullProgress.EVERY_NANOS);
        progress.onNext(item("b", "Downloading", 1_500_000L, 3_000_000L));
        progress.onNext(item("b", "Download complete", null, null));
        progress.onNext(item("b", "Pull complete", null, null));
        now.addAndGet(1_500_000_000L);
        progress.finished();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "stagecraft docker: pulling r/i:1 ...",
                "stagecraft docker: pulling r/i:1: 1.5 of 3.0 MB downloaded, 1 of 2 layers done",
                "stagecraft docker: pulled r/i:1 (3.0 of 3.0 MB downloaded, 2 of 2 layers done, 3.5 s)");
    }

    private static PullResponseItem item(String id, String status, Long current, Long total) {
        String detail = current == null ? "" : ",\"progressDetail\":{\"current\":" + current + ",\"total\":" + total + "}";
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                    "{\"id\":\"" + id + "\",\"status\":\"" + status + "\"" + detail + "}", PullResponseItem.class);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void removeLocalCopy() {
        try {
            DockerFixtures.client(provider).removeImageCmd(IMAGE).withForce(true).exec();
        } catch (NotFoundException absent) {
            // nothing to forget
        }
    }

    /** Fails under CI, skips elsewhere, when the local registry of the setup does not answer. */
    private static void requireRegistry() {
        String problem;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", 5005), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            if (status.endsWith(" 200")) {
                return;
            }
            problem = "answered '" + status + "'";
        } catch (IOException e) {
            problem = e.toString();
        }
        BackendRequirement.missing("no registry on " + REGISTRY + " (" + problem + "; scripts/install-deps.sh starts one)");
    }
}
