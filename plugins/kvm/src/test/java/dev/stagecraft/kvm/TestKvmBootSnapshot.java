package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cold start from a boot snapshot: the first environment of a shape saves a booted template and is restored from
 * it, later ones are restored too; each is its own guest (own clock set, own random generator state, own workspace)
 * and a snapshot that cannot be restored makes the environment boot instead, not fail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TestKvmBootSnapshot {
    @TempDir
    static Path stateDir;

    private final Path snapshots = KvmSettings.DEFAULT_SNAPSHOTS.resolveSibling("snapshots-test-" + UUID.randomUUID());
    private final List<ExecutionEnvironment> made = new ArrayList<>();
    private KvmProvider provider;

    @BeforeAll
    void start() {
        provider = KvmFixtures.provider(stateDir, Map.of("snapshot-directory", snapshots.toString()));
        BackendRequirement.require(provider);
    }

    @AfterAll
    void tearDown() throws IOException {
        made.forEach(ExecutionEnvironment::destroy);
        if (provider != null) {
            provider.close();
        }
        if (Files.exists(snapshots)) {
            try (Stream<Path> files = Files.walk(snapshots)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    /** Creates an environment; returns it with how long create took. */
    private Made create() {
        String id = "kvmsnap-" + UUID.randomUUID().toString().substring(0, 8);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("python")
                .securityLevel(SecurityLevel.CRITICAL).build();
        EnvironmentSpec spec = new EnvironmentSpec(id, requirement, IsolationLevel.VM,
                Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, "kvm"));
        long started = System.nanoTime();
        ExecutionEnvironment env = provider.create(spec);
        made.add(env);
        return new Made(env, Duration.ofNanos(System.nanoTime() - started));
    }

    private record Made(ExecutionEnvironment env, Duration took) {
        String sh(String script) {
            ExecResult result = env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(60)).build());
            assertThat(result.exitCode()).as(result.stderrText()).isZero();
            return result.stdoutText().trim();
        }

        /** Seconds the guest's kernel has run: a restored guest carries on from its template's boot. */
        double uptime() {
            return Double.parseDouble(sh("cut -d' ' -f1 /proc/uptime"));
        }
    }

    private List<Path> readySnapshots() throws IOException {
        if (!Files.isDirectory(snapshots)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(snapshots)) {
            return dirs.filter(dir -> Files.isRegularFile(dir.resolve("ready"))).toList();
        }
    }

    @Test
    @Order(1)
    void environmentsOfOneShapeAreRestoredAndEachIsItsOwnGuest() throws IOException {
        Made first = create();
        Made second = create();

        assertThat(readySnapshots()).as("one snapshot for the shape").hasSize(1);
        Path snapshot = readySnapshots().get(0);
        assertThat(snapshot.resolve("state.save")).isRegularFile();
        assertThat(KvmFixtures.virsh("list", "--all", "--name")).as("the template VM is gone once saved")
                .doesNotContain(DomainXml.domainName(BootSnapshot.ID_PREFIX));
        assertThat(second.uptime()).as("restored: its kernel ran before this create began")
                .isGreaterThan(second.took().toMillis() / 1000.0);
        for (Made made : List.of(first, second)) {
            assertThat(made.sh("python3 -c 'import os; print(os.getuid(), 6 * 7)'")).isEqualTo("1000 42");
            long guestClock = Long.parseLong(made.sh("date +%s"));
            assertThat(guestClock).as("the clock was set on restore, not the template's")
                    .isBetween(Instant.now().getEpochSecond() - 5, Instant.now().getEpochSecond() + 5);
        }
        assertThat(first.sh("head -c 16 /dev/urandom | od -An -tx1"))
                .as("each restored kernel's generator was reseeded: no two guests share random numbers")
                .isNotEqualTo(second.sh("head -c 16 /dev/urandom | od -An -tx1"));
        assertThat(first.sh("python3 -c 'import os; print(os.urandom(16).hex())'"))
                .isNotEqualTo(second.sh("python3 -c 'import os; print(os.urandom(16).hex())'"));

        first.sh("echo first > mine.txt");
        assertThat(second.sh("ls -A /workspace")).as("workspaces are not shared").isEmpty();
        second.env().putFile("theirs.txt", "second".getBytes());
        assertThat(first.sh("cat mine.txt; ls /workspace")).isEqualTo("first\nmine.txt");
        first.env().stop();
        first.env().start();
        assertThat(first.sh("cat mine.txt")).as("a restored workspace survives stop and start (a cold boot)")
                .isEqualTo("first");
        assertThat(provider.probe().details().get("snapshots")).startsWith("on:").doesNotContain("last problem");
    }

    @Test
    @Order(2)
    void aSnapshotThatCannotBeRestoredIsDiscardedAndTheEnvironmentBoots() throws IOException {
        create();
        Path snapshot = readySnapshots().get(0);
        try (FileChannel state = FileChannel.open(snapshot.resolve("state.save"), StandardOpenOption.WRITE)) {
            state.truncate(state.size() / 2);
        }

        Made booted = create();

        assertThat(booted.sh("echo alive")).isEqualTo("alive");
        assertThat(booted.uptime()).as("booted, not restored").isLessThan(booted.took().toMillis() / 1000.0 + 1);
        assertThat(provider.probe().details().get("snapshots")).contains("last problem: restoring");
        assertThat(readySnapshots()).as("the broken snapshot was deleted").doesNotContain(snapshot);
    }
}
