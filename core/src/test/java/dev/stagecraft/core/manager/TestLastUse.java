package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Idle time counts from the last use in every process: each command-line call is a fresh manager that adopts
 * the environment through the provider's {@code discover()}, so the last use must outlive the process that saw it.
 */
class TestLastUse {
    private static final Map<String, String> IDLE_40S = Map.of("STAGECRAFT_ENVIRONMENTS__IDLE_TIMEOUT", "40s");

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private final List<Stagecraft> opened = new ArrayList<>();
    private final List<EnvironmentEvent> events = new ArrayList<>();

    /** A manager as one command-line call opens it: no background threads, every kind reconciled at start. */
    private Stagecraft open() {
        Stagecraft stagecraft = Stagecraft.builder().stateDirectory(state).environment(IDLE_40S).background(false)
                .clock(clock).listener(events::add).build();
        opened.add(stagecraft);
        SandboxOnHost.require(stagecraft);
        return stagecraft;
    }

    private void closeAll() {
        opened.forEach(Stagecraft::close);
        opened.clear();
    }

    @AfterEach
    void cleanUp() {
        closeAll();
        try (Stagecraft last = Stagecraft.builder().stateDirectory(state).environment(Map.of()).background(false).build()) {
            for (EnvironmentInfo info : last.manager().list(Optional.empty(), Map.of())) {
                last.manager().destroy(info.id());
            }
        }
    }

    private Path sandboxDir(String id) {
        return state.resolve("sandbox").resolve("envs").resolve(id);
    }

    private Path lastUseFile(String id) {
        return state.resolve("last-use").resolve(id);
    }

    private static EnvironmentRequirement hourLong() {
        return EnvironmentRequirement.builder().ttl(Duration.ofHours(1)).build();
    }

    @Test
    void eachCommandSeesTheLastUseOfTheOneBefore() {
        String id = open().manager().create(hourLong()).id();
        closeAll();

        clock.advance(Duration.ofSeconds(30));
        assertThat(open().manager().execute(id, ExecRequest.of("true")).exitCode()).isZero();
        closeAll();
        assertThat(lastUseFile(id)).exists();

        clock.advance(Duration.ofSeconds(20)); // 50 s after creation, 20 s after the last exec
        EnvironmentManager third = open().manager();
        assertThat(third.execute(id, ExecRequest.of("echo", "still here")).stdoutText()).isEqualTo("still here\n");
        EnvironmentInfo info = third.status(id);
        assertThat(info.lastUsedAt()).isEqualTo(clock.instant());
        assertThat(info.expired()).isFalse();
        closeAll();
        assertThat(sandboxDir(id)).isDirectory();

        clock.advance(Duration.ofSeconds(41));
        EnvironmentManager late = open().manager();
        assertThatThrownBy(() -> late.execute(id, ExecRequest.of("true")))
                .isInstanceOfSatisfying(StagecraftException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(sandboxDir(id)).doesNotExist();
        assertThat(lastUseFile(id)).as("the last-use file goes with the environment").doesNotExist();
        assertThat(events.stream().filter(e -> e.type() == EnvironmentEvent.Type.REAPED).map(EnvironmentEvent::detail))
                .containsExactly("idle for more than PT40S");
    }

    @Test
    void anAdoptingManagerCountsFromTheLastUseAndTheCreatorSeesUseByOthers() {
        EnvironmentManager creator = open().manager();
        EnvironmentInfo created = creator.create(hourLong());
        String id = created.id();
        assertThat(created.lastUsedAt()).as("never used: its creation").isEqualTo(created.createdAt());
        clock.advance(Duration.ofSeconds(30));
        creator.putFile(id, "note.txt", "kept".getBytes(StandardCharsets.UTF_8));

        EnvironmentManager adopter = open().manager(); // a fresh provider instance: it finds the environment by discover()
        assertThat(adopter.status(id).lastUsedAt()).isEqualTo(created.createdAt().plusSeconds(30));
        clock.advance(Duration.ofSeconds(20)); // 50 s after creation, 20 s after the last use
        assertThat(adopter.reap()).isZero();
        assertThat(new String(adopter.getFile(id, "note.txt", 100), StandardCharsets.UTF_8)).isEqualTo("kept");

        clock.advance(Duration.ofSeconds(30)); // the creator last used it 50 s ago, the adopter 30 s ago
        assertThat(creator.reap()).as("the creator sees the adopter's use").isZero();
        assertThat(creator.status(id).lastUsedAt()).isEqualTo(created.createdAt().plusSeconds(50));
        clock.advance(Duration.ofSeconds(11));
        assertThat(creator.reap()).isEqualTo(1);
        assertThat(sandboxDir(id)).doesNotExist();
        assertThat(lastUseFile(id)).doesNotExist();
    }

    @Test
    void aCommandRunningLongerThanTheIdleTimeoutIsNotReapedByAnotherProcess() throws Exception {
        EnvironmentManager runner = open().manager();
        String id = runner.create(hourLong()).id();
        Instant started = clock.instant();
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> runner.execute(id,
                ExecRequest.builder("sh", "-c", "sleep 2; echo done").timeout(Duration.ofSeconds(120)).build()));
        Instant busyUntil = started.plusSeconds(120);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(lastUseFile(id)) || !Files.getLastModifiedTime(lastUseFile(id)).toInstant().equals(busyUntil)) {
            assertThat(System.nanoTime()).as("the exec marks the environment in use until its timeout").isLessThan(deadline);
            Thread.sleep(20);
        }

        clock.advance(Duration.ofSeconds(50)); // past the 40 s idle timeout while the command still runs
        EnvironmentManager other = open().manager(); // another command line: it reconciles and reaps at start
        assertThat(other.status(id).lastUsedAt()).as("in use now").isEqualTo(clock.instant());
        assertThat(other.reap()).isZero();
        assertThat(running.get(30, TimeUnit.SECONDS).stdoutText()).isEqualTo("done\n");
        assertThat(other.status(id).lastUsedAt()).as("the end of the command").isEqualTo(clock.instant());
    }

    @Test
    void statusAndListSayWhenTheTtlHasPassed() {
        EnvironmentManager manager = open().manager();
        EnvironmentInfo created = manager.create(EnvironmentRequirement.builder().ttl(Duration.ofSeconds(10)).build());
        assertThat(created.expiresAt()).contains(created.createdAt().plusSeconds(10));
        assertThat(created.expired()).isFalse();
        clock.advance(Duration.ofSeconds(11));
        EnvironmentInfo later = manager.status(created.id());
        assertThat(later.expired()).as("past its TTL, not yet reaped").isTrue();
        assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::expired).containsExactly(true);
        assertThat(manager.reap()).isEqualTo(1);
    }
}
