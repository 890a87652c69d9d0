package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.sandbox.SandboxProvider;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.Deadline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** Warm pools over the real sandbox: filled in the background, handed out once, refilled, drained on close. */
class TestWarmPools {
    @TempDir
    Path state;

    private Stagecraft open(String poolsYaml) throws Exception {
        return open(poolsYaml, event -> { });
    }

    private Stagecraft open(String poolsYaml, EnvironmentListener listener) throws Exception {
        Path config = state.resolve("stagecraft.yaml");
        Files.writeString(config, "state-dir: " + state + "\naudit:\n  enabled: false\n" + poolsYaml);
        Stagecraft stagecraft = Stagecraft.builder().configFile(config).environment(Map.of()).listener(listener).build();
        SandboxOnHost.require(stagecraft);
        return stagecraft;
    }

    private static void awaitReady(EnvironmentManager manager, String pool, int count) {
        Deadline.await(Duration.ofSeconds(30), "pool " + pool + " holds " + count,
                () -> manager.warmPools().getOrDefault(pool, 0) == count);
    }

    @Test
    void aPooledEnvironmentServesOneCallerAndThePoolRefills() throws Exception {
        try (Stagecraft stagecraft = open("pools:\n  shell:\n    size: 2\n    tool-type: shell\n")) {
            EnvironmentManager manager = stagecraft.manager();
            awaitReady(manager, "shell", 2);
            Set<String> pooled = new HashSet<>();
            manager.list(Optional.empty(), Map.of()).forEach(info -> pooled.add(info.id()));
            assertThat(pooled).hasSize(2);

            String used;
            try (Lease lease = manager.acquire(EnvironmentRequirement.builder().toolType("shell").build())) {
                used = lease.id();
                assertThat(pooled).contains(used);
                assertThat(lease.execute(ExecRequest.of("sh", "-c", "echo warm")).stdoutText()).isEqualTo("warm\n");
                assertThat(lease.status().labels().get(WarmPools.POOL_LABEL)).contains("shell");
            }
            assertThatThrownBy(() -> manager.status(used)).isInstanceOfSatisfying(StagecraftException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
            awaitReady(manager, "shell", 2);
            assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).doesNotContain(used);
        }
    }

    @Test
    void aTakeFromAReadyPoolIsAHitAndFromAnEmptyOneAMiss() throws Exception {
        List<EnvironmentEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch refillMayFinish = new CountDownLatch(1);
        AtomicBoolean holdRefills = new AtomicBoolean();
        // The refill thread's create waits here, so the pool stays empty until the second acquire has missed.
        EnvironmentListener listener = event -> {
            events.add(event);
            if (holdRefills.get() && event.type() == EnvironmentEvent.Type.CREATED
                    && Thread.currentThread().getName().equals("stagecraft-pool-refill")) {
                awaitQuietly(refillMayFinish);
            }
        };
        try (Stagecraft stagecraft = open("pools:\n  shell:\n    size: 1\n    tool-type: shell\n", listener)) {
            EnvironmentManager manager = stagecraft.manager();
            awaitReady(manager, "shell", 1);
            holdRefills.set(true);
            EnvironmentRequirement shell = EnvironmentRequirement.builder().toolType("shell").build();
            try (Lease warm = manager.acquire(shell); Lease cold = manager.acquire(shell)) {
                assertThat(warm.status().labels().get(WarmPools.POOL_LABEL)).contains("shell");
                assertThat(cold.status().labels().get(WarmPools.POOL_LABEL)).isEmpty();
            } finally {
                refillMayFinish.countDown();
            }
            assertThat(events).filteredOn(e -> e.type() == EnvironmentEvent.Type.POOL_HIT
                            || e.type() == EnvironmentEvent.Type.POOL_MISS)
                    .extracting(EnvironmentEvent::type, EnvironmentEvent::kind, EnvironmentEvent::detail)
                    .containsExactly(tuple(EnvironmentEvent.Type.POOL_HIT, "sandbox", "shell"),
                            tuple(EnvironmentEvent.Type.POOL_MISS, "sandbox", "shell"));
            try (Lease labelled = manager.acquire(EnvironmentRequirement.builder().toolType("shell").label("team", "x").build())) {
                assertThat(events).as("an acquire the pool cannot serve is neither")
                        .filteredOn(e -> e.type() == EnvironmentEvent.Type.POOL_HIT || e.type() == EnvironmentEvent.Type.POOL_MISS)
                        .hasSize(2);
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aDifferentProfileOrOwnLabelsBypassThePool() throws Exception {
        try (Stagecraft stagecraft = open("pools:\n  shell:\n    size: 1\n    tool-type: shell\n")) {
            EnvironmentManager manager = stagecraft.manager();
            awaitReady(manager, "shell", 1);
            String pooled = manager.list(Optional.empty(), Map.of()).get(0).id();
            try (Lease other = manager.acquire(EnvironmentRequirement.builder().toolType("shell").memoryBytes(64L << 20).build());
                 Lease labelled = manager.acquire(EnvironmentRequirement.builder().toolType("shell").label("team", "x").build())) {
                assertThat(other.id()).isNotEqualTo(pooled);
                assertThat(labelled.id()).isNotEqualTo(pooled);
            }
            assertThat(manager.warmPools()).containsEntry("shell", 1);
        }
    }

    @Test
    void closingTheManagerDrainsThePool() throws Exception {
        Stagecraft stagecraft = open("pools:\n  shell:\n    size: 2\n    tool-type: shell\n");
        awaitReady(stagecraft.manager(), "shell", 2);
        stagecraft.close();
        SandboxProvider fresh = new SandboxProvider();
        fresh.initialize(new ProviderContext("local", state.resolve("sandbox"), Settings.empty("providers.sandbox")));
        assertThat(fresh.discover()).isEmpty();
    }

    @Test
    void badPoolConfigurationNamesTheKey() {
        assertThatThrownBy(() -> open("pools:\n  shell:\n    size: lots\n"))
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
                    assertThat(e.getMessage()).contains("pools.shell.size: 'lots' is not a whole number");
                });
        assertThatThrownBy(() -> open("pools:\n  shell:\n    colour: blue\n"))
                .isInstanceOfSatisfying(StagecraftException.class,
                        e -> assertThat(e.getMessage()).contains("pools.shell.colour: unknown key"));
    }
}
