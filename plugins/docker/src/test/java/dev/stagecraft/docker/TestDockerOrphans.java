package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.tck.BackendRequirement;
import dev.stagecraft.tck.Deadline;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconcile of what a create left when it failed on the client side: the Engine made the container (and its volume),
 * but the caller never got to start it (a response timeout, a crash, a lost connection). Such a container, labelled
 * like any other. Without a holder (an {@code env create}) it is left alone for the orphan grace period (a create
 * may still be in progress) and then removed with its volume by discover; with a holder it is listed at once, so the
 * manager's holder rule reaps it when that process is gone (the distribution's ITDockerRecovery checks that end to
 * end). A started container of a live holder is kept and listed.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestDockerOrphans {
    @TempDir
    Path stateDir;
    private DockerProvider provider;
    private DockerProvider shortGrace;
    private DockerClient client;
    private Process liveHolder;

    @BeforeEach
    void providers() {
        provider = DockerFixtures.provider(stateDir);
        BackendRequirement.require(provider);
        // Orphan grace = readiness-timeout + 4 x api-timeout = 5 s.
        Map<String, Object> settings = new HashMap<>(DockerFixtures.testSettings());
        settings.put("readiness-timeout", "1s");
        settings.put("api-timeout", "1s");
        shortGrace = DockerFixtures.provider(stateDir, settings);
        client = DockerFixtures.client(provider);
    }

    @AfterEach
    void close() {
        if (liveHolder != null) {
            liveHolder.destroyForcibly();
        }
        shortGrace.close();
        provider.close();
    }

    @Test
    void aNeverStartedContainerWithoutAHolderIsRemovedAfterTheGracePeriod() throws Exception {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        String container = createdNotStarted(id, null);

        assertThat(shortGrace.discover()).as("within the grace period: not listed").noneMatch(e -> e.id().equals(id));
        assertThat(client.inspectContainerCmd(container).exec().getState().getStatus()).as("and left alone").isEqualTo("created");

        Deadline.await(Duration.ofSeconds(30), "discover removes the never-started container after the grace period",
                () -> shortGrace.discover().stream().noneMatch(e -> e.id().equals(id)) && gone(container));
        assertThatThrownBy(() -> client.inspectVolumeCmd(DockerEnvironment.containerName(id) + "-workspace").exec())
                .as("its volume").isInstanceOf(NotFoundException.class);
    }

    @Test
    void aNeverStartedContainerOfADeadHolderIsListedForTheManagersHolderRule() throws Exception {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        String holder = deadHolder();
        String container = createdNotStarted(id, holder);
        try {
            ExecutionEnvironment found = shortGrace.discover().stream().filter(e -> e.id().equals(id)).findFirst()
                    .orElseThrow(() -> new AssertionError("a never-started container of a holder is not listed"));
            assertThat(found.labels().get(DockerProvider.HOLDER_LABEL)).contains(holder);
            found.destroy();
            assertThat(gone(container)).as("destroying the listed environment removes the container").isTrue();
            assertThatThrownBy(() -> client.inspectVolumeCmd(DockerEnvironment.containerName(id) + "-workspace").exec())
                    .as("and its volume").isInstanceOf(NotFoundException.class);
        } finally {
            if (!gone(container)) {
                client.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
            }
        }
    }

    @Test
    void aStartedContainerOfALiveHolderIsKeptAndListed() throws Exception {
        liveHolder = new ProcessBuilder("sleep", "600").start();
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        EnvironmentSpec spec = new EnvironmentSpec(id, EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER,
                labels(id, holderOf(liveHolder.toHandle())));
        ExecutionEnvironment env = provider.create(spec);
        try {
            // Time itself is under test: what discover does once the 5 s orphan grace has passed; no event marks it.
            Thread.sleep(6_000);
            ExecutionEnvironment found = shortGrace.discover().stream().filter(e -> e.id().equals(id)).findFirst()
                    .orElseThrow(() -> new AssertionError("a live holder's environment is not listed after the grace period"));
            assertThat(found.labels().get(DockerProvider.HOLDER_LABEL)).contains(holderOf(liveHolder.toHandle()));
            assertThat(client.inspectContainerCmd(DockerEnvironment.containerName(id)).exec().getState().getRunning()).isTrue();
        } finally {
            env.destroy();
        }
    }

    /** The container and volume a create makes before it starts the container, with the same labels. */
    private String createdNotStarted(String id, String holder) {
        String name = DockerEnvironment.containerName(id);
        String volume = name + "-workspace";
        Map<String, String> all = new TreeMap<>(labels(id, holder).values());
        all.put(DockerEnvironment.ISOLATION_LABEL, "container");
        all.put(DockerEnvironment.VOLUME_LABEL, volume);
        client.createVolumeCmd().withName(volume).withDriver("local").withLabels(all).exec();
        return client.createContainerCmd(DockerFixtures.BUSYBOX).withName(name).withLabels(all).withUser("1000:1000")
                .withEntrypoint("sh", "-c", "while :; do sleep 3600; done")
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none").withInit(true)
                        .withMounts(java.util.List.of(new Mount().withType(MountType.VOLUME).withSource(volume).withTarget("/workspace"))))
                .exec().getId();
    }

    /** The labels a create writes; {@code holder} null for an {@code env create}, which names none. */
    private static Labels labels(String id, String holder) {
        Labels labels = Labels.of("test", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, DockerProvider.KIND);
        return holder == null ? labels : labels.with(DockerProvider.HOLDER_LABEL, holder);
    }

    /** {@code host/pid/start-millis} of a process that has ended, as the manager writes a holder. */
    private static String deadHolder() throws Exception {
        Process done = new ProcessBuilder("true").start();
        ProcessHandle handle = done.toHandle();
        String holder = holderOf(handle);
        assertThat(done.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return holder;
    }

    private static String holderOf(ProcessHandle process) throws Exception {
        return InetAddress.getLocalHost().getHostName() + "/" + process.pid() + "/"
                + process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    private boolean gone(String container) {
        try {
            client.inspectContainerCmd(container).exec();
            return false;
        } catch (NotFoundException e) {
            return true;
        }
    }
}
