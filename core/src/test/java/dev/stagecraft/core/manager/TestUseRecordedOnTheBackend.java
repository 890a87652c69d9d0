package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.plugin.BoundProviders;
import dev.stagecraft.core.selection.SelectionPipeline;
import dev.stagecraft.core.Stagecraft;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two managers with the same owner on two hosts share one backend but not a state directory, so neither sees the
 * other's last-use files: the use each records on the backend is what keeps the other from reaping an environment
 * that is busy over there.
 */
class TestUseRecordedOnTheBackend {
    @TempDir
    Path backend;
    @TempDir
    Path hostA;
    @TempDir
    Path hostB;

    private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private final Map<String, Instant> record = new ConcurrentHashMap<>();
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void sandboxRunsHere() {
        try (Stagecraft probe = Stagecraft.builder().stateDirectory(hostA).environment(Map.of()).background(false).build()) {
            SandboxOnHost.require(probe);
        }
    }

    @AfterEach
    void closeAndRemoveAll() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
        try (ProviderRegistry registry = registry(new RecordingSandbox(record));
             EnvironmentManager cleaner = manager(hostA, registry)) {
            for (EnvironmentInfo info : cleaner.list(Optional.empty(), Map.of())) {
                cleaner.destroy(info.id());
            }
        }
    }

    private static StagecraftConfig config(Path stateDirectory) {
        return new ConfigLoader(null, Map.of("STAGECRAFT_ENVIRONMENTS__IDLE_TIMEOUT", "40s")).load(null)
                .withStateDirectory(stateDirectory);
    }

    private ProviderRegistry registry(RecordingSandbox provider) {
        return new ProviderRegistry(List.of(BoundProviders.bound(provider)), config(backend), clock);
    }

    private EnvironmentManager manager(Path host, ProviderRegistry registry) {
        StagecraftConfig hostConfig = config(host);
        return new EnvironmentManager(hostConfig, registry, SelectionPipeline.defaults(hostConfig.selection()),
                new AuditLog(hostConfig.auditPath(), true, clock), clock);
    }

    /** A manager on one host: its own state directory, the shared backend (the sandbox's folder) and record. */
    private EnvironmentManager managerOn(Path host, RecordingSandbox provider) {
        ProviderRegistry registry = registry(provider);
        EnvironmentManager manager = manager(host, registry);
        opened.add(registry);
        opened.add(manager);
        manager.start(false, true);
        return manager;
    }

    private String createdAndUsedOnHostA(RecordingSandbox provider) {
        EnvironmentManager a = managerOn(hostA, provider);
        String id = a.create(EnvironmentRequirement.builder().ttl(Duration.ofHours(1)).build()).id();
        clock.advance(Duration.ofSeconds(30));
        assertThat(a.execute(id, ExecRequest.of("true")).exitCode()).isZero();
        return id;
    }

    @Test
    void anotherHostCountsIdleTimeFromTheUseRecordedOnTheBackend() {
        String id = createdAndUsedOnHostA(new RecordingSandbox(record));
        assertThat(record).containsEntry(id, clock.instant());
        clock.advance(Duration.ofSeconds(20)); // 50 s after creation: idle by host B's own records, 20 s by the backend's

        EnvironmentManager b = managerOn(hostB, new RecordingSandbox(record));
        assertThat(b.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(id);
        assertThat(b.status(id).lastUsedAt()).isEqualTo(clock.instant().minusSeconds(20));
        assertThat(Files.exists(hostB.resolve("last-use").resolve(id))).as("host B has no file of its own").isFalse();

        clock.advance(Duration.ofSeconds(15));
        assertThat(b.reap()).as("35 s after the last use anywhere").isZero();
        clock.advance(Duration.ofSeconds(6));
        assertThat(b.reap()).as("41 s after it").isEqualTo(1);
        assertThat(backend.resolve("sandbox").resolve("envs").resolve(id)).doesNotExist();
    }

    @Test
    void withoutARecordOnTheBackendTheOtherHostReapsItAtAdoption() {
        String id = createdAndUsedOnHostA(new RecordingSandbox(record));
        record.clear(); // a backend that keeps no record: what the first test guards against
        clock.advance(Duration.ofSeconds(20));

        EnvironmentManager b = managerOn(hostB, new RecordingSandbox(record));
        assertThat(b.list(Optional.empty(), Map.of())).isEmpty();
        assertThat(backend.resolve("sandbox").resolve("envs").resolve(id)).doesNotExist();
    }

    @Test
    void anEnvironmentIsKeptWhileTheBackendCannotSayWhenItWasUsed() {
        String id = createdAndUsedOnHostA(new RecordingSandbox(record));
        clock.advance(Duration.ofSeconds(60)); // idle by every record

        RecordingSandbox outOfReach = new RecordingSandbox(record);
        outOfReach.unreachable.set(true);
        EnvironmentManager b = managerOn(hostB, outOfReach);
        assertThat(b.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(id);
        assertThat(b.reap()).isZero();

        outOfReach.unreachable.set(false);
        assertThat(b.reap()).as("asked again on the next pass").isEqualTo(1);
    }
}
