package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The use of an environment written on its pod for managers on other hosts, on the test cluster: written in the
 * background at once, then at most once per window with the latest value, read by another provider instance (another
 * host) as the value plus the window, written out by {@code close()} before a process exits, and never again after
 * destroy; and written while the pod is stopped and started without either write refusing the other.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestPodUseRecords {
    private static final String NAMESPACE = "default";
    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private KubernetesProvider here;
    private KubernetesProvider elsewhere;
    private KubernetesClient client;

    @BeforeEach
    void cluster() {
        here = KubernetesFixtures.provider(dir.resolve("here"));
        BackendRequirement.require(here);
        elsewhere = KubernetesFixtures.provider(dir.resolve("elsewhere"));
        client = KubernetesFixtures.client();
    }

    @AfterEach
    void close() {
        here.close();
        elsewhere.close();
        client.close();
    }

    @Test
    void theLatestUseIsWrittenOnThePodAtMostOncePerWindowAndAnotherHostReadsIt() {
        ExecutionEnvironment env = here.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
        String pod = PodLabels.objectName(env.id());
        try {
            assertThat(env.recordedUse()).as("never used").isEmpty();
            Instant first = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            env.recordUse(first);
            Deadline.await(WITHIN, "the first use written on the pod", () -> written(pod).equals(Optional.of(first)));

            Instant deadline = first.plusSeconds(300); // a command began...
            Instant end = first.plusSeconds(1);        // ...and ended within the same window
            env.recordUse(deadline);
            env.recordUse(end);
            assertThat(written(pod)).as("nothing more within the window").contains(first);
            Deadline.await(WITHIN, "the latest value written once the window ended", () -> written(pod).equals(Optional.of(end)));

            ExecutionEnvironment there = elsewhere.discover().stream().filter(e -> e.id().equals(env.id())).findFirst().orElseThrow();
            assertThat(there.recordedUse()).as("the recorded instant plus the window").contains(end.plus(PodUseRecords.WINDOW));
        } finally {
            env.destroy();
        }
        env.recordUse(Instant.now());
        KubernetesFixtures.assertNothingLeft(client, NAMESPACE, env.id());
    }

    @Test
    void closeWritesWhatIsPendingBeforeTheProcessExits() {
        ExecutionEnvironment env = here.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
        String pod = PodLabels.objectName(env.id());
        try {
            Instant first = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            env.recordUse(first);
            Deadline.await(WITHIN, "the first use written on the pod", () -> written(pod).equals(Optional.of(first)));
            Instant last = first.plusSeconds(2);
            env.recordUse(last); // pending until the window ends...
            here.close();        // ...or the process exits
            assertThat(written(pod)).contains(last);
        } finally {
            elsewhere.discover().stream().filter(e -> e.id().equals(env.id())).forEach(ExecutionEnvironment::destroy);
        }
        KubernetesFixtures.assertNothingLeft(client, NAMESPACE, env.id());
    }

    @Test
    void stopAndStartAreNotRefusedWhileTheUseRecordIsWrittenToThePod() throws Exception {
        ExecutionEnvironment env = here.create(KubernetesFixtures.spec(EnvironmentRequirement.builder().build()));
        String pod = PodLabels.objectName(env.id());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger writes = new AtomicInteger();
        Thread writer = new Thread(() -> { // what the background record of another manager does, as often as it can
            while (writing.get()) {
                client.pods().inNamespace(NAMESPACE).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"" + PodUseRecords.ANNOTATION + "\":\"" + Instant.now() + "\"}}}");
                writes.incrementAndGet();
            }
        });
        try {
            writer.start();
            for (int round = 0; round < 3; round++) {
                env.stop();
                assertThat(annotation(pod, KubernetesEnvironment.STOPPED)).as("marked stopped").contains("true");
                env.start();
                assertThat(annotation(pod, KubernetesEnvironment.STOPPED)).as("the mark cleared").isEmpty();
            }
        } finally {
            writing.set(false);
            writer.join();
            env.destroy();
        }
        assertThat(writes.get()).as("the pod was written to meanwhile").isGreaterThan(10);
        KubernetesFixtures.assertNothingLeft(client, NAMESPACE, env.id());
    }

    private Optional<String> annotation(String pod, String key) {
        Pod current = client.pods().inNamespace(NAMESPACE).withName(pod).get();
        return Optional.ofNullable(current.getMetadata().getAnnotations()).map(a -> a.get(key));
    }

    private Optional<Instant> written(String pod) {
        Pod current = client.pods().inNamespace(NAMESPACE).withName(pod).get();
        return Optional.ofNullable(current.getMetadata().getAnnotations()).map(a -> a.get(PodUseRecords.ANNOTATION))
                .map(Instant::parse);
    }
}
