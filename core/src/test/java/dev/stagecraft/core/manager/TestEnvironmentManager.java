package dev.stagecraft.core.manager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.stagecraft.core.manager.EnvironmentEvent.Type.ADOPTED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.CREATED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.DESTROYED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.EXEC_FINISHED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.EXEC_STARTED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.REAPED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.STARTED;
import static dev.stagecraft.core.manager.EnvironmentEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

/** The manager over the real sandbox provider (found on the test class path). */
class TestEnvironmentManager {
    @TempDir
    Path state;

    private final List<Stagecraft> opened = new ArrayList<>();
    private final List<EnvironmentEvent> events = new CopyOnWriteArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

    private Stagecraft open(Clock clock, Map<String, String> environment) {
        Stagecraft stagecraft = Stagecraft.builder().stateDirectory(state).environment(environment).background(false)
                .clock(clock).listener(events::add).build();
        opened.add(stagecraft);
        SandboxOnHost.require(stagecraft);
        return stagecraft;
    }

    private Stagecraft open() {
        return open(Clock.systemUTC(), Map.of());
    }

    @AfterEach
    void cleanUp() {
        for (Stagecraft stagecraft : opened) {
            for (EnvironmentInfo info : stagecraft.manager().list(Optional.empty(), Map.of())) {
                stagecraft.manager().destroy(info.id());
            }
            stagecraft.close();
        }
    }

    private Path audit() {
        return state.resolve("audit.jsonl");
    }

    private List<EnvironmentEvent.Type> eventsOf(String id) {
        return events.stream().filter(e -> e.environmentId().equals(id)).map(EnvironmentEvent::type).toList();
    }

    private Path sandboxDir(String id) {
        return state.resolve("sandbox").resolve("envs").resolve(id);
    }

    @Test
    void systemLabelsAreWrittenBesideTheCoresAndStartBringsAStoppedEnvironmentBack() {
        EnvironmentManager manager = open().manager();
        String id = manager.create(EnvironmentRequirement.builder().build(), Map.of("dev.stagecraft.tenant", "acme")).id();
        assertThat(manager.status(id).labels().get("dev.stagecraft.tenant")).contains("acme");
        assertThat(manager.status(id).labels().userLabels()).isEmpty();
        manager.execute(id, ExecRequest.of("sh", "-c", "echo kept > note"));
        manager.stop(id);
        assertThat(manager.status(id).status()).isEqualTo(EnvironmentStatus.STOPPED);
        manager.start(id);
        assertThat(manager.status(id).status()).isEqualTo(EnvironmentStatus.READY);
        assertThat(manager.execute(id, ExecRequest.of("cat", "note")).stdoutText()).isEqualTo("kept\n");
        assertThat(eventsOf(id)).containsSubsequence(STOPPED, STARTED);
        assertThat(AuditLines.actions(audit(), id)).containsSubsequence("stop", "start");

        assertThatThrownBy(() -> manager.create(EnvironmentRequirement.builder().build(), Map.of("dev.stagecraft.label.x", "y")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dev.stagecraft.label.");
        assertThatThrownBy(() -> manager.create(EnvironmentRequirement.builder().build(), Map.of("tenant", "y")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must start with dev.stagecraft.");
    }

    @Test
    void eventsSayWhatWasSelectedAndHowLongCreateAndExecTook() {
        EnvironmentManager manager = open().manager();
        String id = manager.create(EnvironmentRequirement.builder().build()).id();
        manager.execute(id, ExecRequest.of("true"));
        manager.select(EnvironmentRequirement.builder().provider("no-such-kind").build());

        assertThat(events).filteredOn(e -> e.type() == EnvironmentEvent.Type.SELECTED)
                .extracting(EnvironmentEvent::environmentId, EnvironmentEvent::kind, EnvironmentEvent::detail)
                .containsExactly(tuple("", "sandbox", "selected"), tuple("", "", "nothing fits"));
        assertThat(events).filteredOn(e -> e.environmentId().equals(id) && (e.type() == CREATED || e.type() == EXEC_FINISHED))
                .hasSize(2).allSatisfy(e -> assertThat(e.duration()).isPositive());
        assertThat(events).filteredOn(e -> e.environmentId().equals(id) && e.type() == EXEC_STARTED)
                .singleElement().satisfies(e -> assertThat(e.duration()).isZero());
    }

    @Test
    void leaseRunsACommandAndItsCloseDestroysTheEnvironment() {
        Stagecraft stagecraft = open();
        EnvironmentManager manager = stagecraft.manager();
        String id;
        try (Lease lease = manager.acquire(EnvironmentRequirement.builder().label("team", "core").build())) {
            id = lease.id();
            assertThat(id).matches("sc-[a-z0-9]{10}");
            assertThat(lease.kind()).isEqualTo("sandbox");
            assertThat(lease.isolation()).isEqualTo(IsolationLevel.CONTAINER);
            assertThat(lease.selection().chosenKind()).contains("sandbox");

            EnvironmentInfo info = lease.status();
            assertThat(info.status()).isEqualTo(EnvironmentStatus.READY);
            assertThat(info.labels().owner()).isEqualTo("local");
            assertThat(info.labels().get(Labels.KIND)).contains("sandbox");
            assertThat(info.labels().get(Labels.SECURITY_LEVEL)).contains("medium");
            assertThat(info.labels().get(ProcessIdentity.HOLDER_LABEL)).contains(ProcessIdentity.current());
            assertThat(info.labels().userLabels()).containsExactly(Map.entry("team", "core"));
            assertThat(info.ttl()).isEqualTo(Duration.ofHours(1));
            assertThat(manager.list(Optional.of("sandbox"), Map.of("team", "core"))).extracting(EnvironmentInfo::id).containsExactly(id);
            assertThat(manager.list(Optional.of("docker"), Map.of())).isEmpty();
            assertThat(manager.list(Optional.empty(), Map.of("team", "other"))).isEmpty();
            assertThat(sandboxDir(id)).isDirectory();

            ExecResult result = lease.execute(ExecRequest.builder("sh", "-c", "echo out; echo err >&2; exit 3")
                    .env("SECRET_NAME", "s3cr3t-value").build());
            assertThat(result.stdoutText()).isEqualTo("out\n");
            assertThat(result.stderrText()).isEqualTo("err\n");
            assertThat(result.exitCode()).isEqualTo(3);

            lease.putFile("data/in.txt", "payload".getBytes(StandardCharsets.UTF_8));
            assertThat(lease.execute(ExecRequest.of("cat", "data/in.txt")).stdoutText()).isEqualTo("payload");
            assertThat(new String(lease.getFile("data/in.txt", 100), StandardCharsets.UTF_8)).isEqualTo("payload");
            assertThatThrownBy(() -> lease.getFile("../labels", 100)).isInstanceOfSatisfying(StagecraftException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.PATH_ESCAPE));
            assertThat(lease.usage().sampledAt()).isNotNull();
        }
        assertThat(manager.list(Optional.empty(), Map.of())).isEmpty();
        assertThat(sandboxDir(id)).doesNotExist();
        assertThat(eventsOf(id)).containsExactly(CREATED, EXEC_STARTED, EXEC_FINISHED, EXEC_STARTED, EXEC_FINISHED, DESTROYED);
        assertThat(events.stream().filter(e -> e.type() == EXEC_FINISHED).findFirst().orElseThrow().detail()).isEqualTo("exit 3 EXITED");

        List<JsonNode> lines = AuditLines.read(audit());
        assertThat(AuditLines.actions(audit(), id)).containsExactly("create", "create-result", "exec", "exec-result", "put-file",
                "exec", "exec-result", "get-file", "get-file", "destroy");
        JsonNode create = lines.get(0);
        assertThat(create.path("kind").asText()).isEqualTo("sandbox");
        assertThat(create.path("level").asText()).isEqualTo("medium");
        assertThat(create.path("owner").asText()).isEqualTo("local");
        assertThat(create.path("isolation").asText()).isEqualTo("container");
        assertThat(create.path("labels").path("team").asText()).isEqualTo("core");
        assertThat(Instant.parse(create.path("time").asText())).isNotNull();
        JsonNode exec = lines.get(2);
        assertThat(exec.path("argv").get(0).asText()).isEqualTo("sh");
        assertThat(exec.path("envNames").get(0).asText()).isEqualTo("SECRET_NAME");
        assertThat(lines.get(3).path("exitCode").asInt()).isEqualTo(3);
        assertThat(lines.get(3).path("termination").asText()).isEqualTo("EXITED");
        assertThat(String.join("\n", readAll(audit()))).as("variable values are never audited").doesNotContain("s3cr3t-value");
    }

    @Test
    void closingALeaseTwiceDestroysOnceAndAdoptsNothing() {
        Stagecraft stagecraft = open();
        Stagecraft other = open();
        Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build());
        lease.close();
        String elsewhere = other.manager().create(EnvironmentRequirement.builder().build()).id();
        events.clear();
        lease.close();
        assertThat(eventsOf(elsewhere)).as("a second close looks for nothing, so adopts nothing").isEmpty();
        assertThat(stagecraft.manager().list(Optional.empty(), Map.of())).isEmpty();
        assertThat(AuditLines.actions(audit(), lease.id())).containsExactly("create", "create-result", "destroy");
    }

    @Test
    void createdEnvironmentIsAdoptedByASecondInstanceOverTheSameState() {
        Stagecraft first = open();
        EnvironmentInfo created = first.manager().create(EnvironmentRequirement.builder().ttl(Duration.ofMinutes(10)).build());
        assertThat(created.kind()).isEqualTo("sandbox");
        assertThat(created.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(created.labels().get(ProcessIdentity.HOLDER_LABEL)).as("a created environment has no holder").isEmpty();
        first.close();
        opened.remove(first);
        assertThat(sandboxDir(created.id())).as("closing the manager leaves created environments alone").isDirectory();

        events.clear();
        Stagecraft second = open();
        assertThat(eventsOf(created.id())).containsExactly(ADOPTED);
        assertThat(second.manager().list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(created.id());
        EnvironmentInfo adopted = second.manager().status(created.id());
        assertThat(adopted.createdAt()).isEqualTo(created.createdAt());
        assertThat(adopted.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(second.manager().execute(created.id(), ExecRequest.of("sh", "-c", "echo adopted")).stdoutText()).isEqualTo("adopted\n");
        assertThat(second.manager().destroy(created.id())).isTrue();
        assertThat(second.manager().list(Optional.empty(), Map.of())).isEmpty();
        assertThat(sandboxDir(created.id())).doesNotExist();
        assertThat(second.manager().destroy(created.id())).as("destroying again").isFalse();
        assertThat(AuditLines.actions(audit(), created.id())).containsExactly("create", "create-result", "exec", "exec-result", "destroy");
    }

    @Test
    void environmentCreatedByAnotherInstanceIsFoundWithoutRestart() {
        Stagecraft first = open();
        Stagecraft second = open();
        EnvironmentInfo created = first.manager().create(EnvironmentRequirement.builder().build());
        assertThat(second.manager().execute(created.id(), ExecRequest.of("true")).exitCode()).isZero();
        assertThat(second.manager().list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).contains(created.id());
    }

    @Test
    void ttlReaping() {
        Stagecraft stagecraft = open(clock, Map.of());
        EnvironmentManager manager = stagecraft.manager();
        EnvironmentInfo shortLived = manager.create(EnvironmentRequirement.builder().ttl(Duration.ofSeconds(2)).build());
        EnvironmentInfo longLived = manager.create(EnvironmentRequirement.builder().ttl(Duration.ofHours(2)).build());

        assertThat(manager.reap()).as("nothing has expired yet").isZero();
        clock.advance(Duration.ofSeconds(3));
        assertThat(manager.reap()).isEqualTo(1);
        assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(longLived.id());
        assertThat(sandboxDir(shortLived.id())).doesNotExist();
        assertThat(sandboxDir(longLived.id())).isDirectory();
        assertThat(eventsOf(shortLived.id())).containsExactly(CREATED, REAPED);
        EnvironmentEvent reaped = events.stream().filter(e -> e.type() == REAPED).findFirst().orElseThrow();
        assertThat(reaped.detail()).isEqualTo("ttl PT2S expired");
        assertThat(reaped.cause()).isEqualTo(EnvironmentEvent.TTL);
        JsonNode reap = AuditLines.read(audit()).stream().filter(n -> n.path("action").asText().equals("reap")).findFirst().orElseThrow();
        assertThat(reap.path("environment").asText()).isEqualTo(shortLived.id());
        assertThat(reap.path("reason").asText()).isEqualTo("ttl PT2S expired");
        assertThatThrownBy(() -> manager.execute(shortLived.id(), ExecRequest.of("true")))
                .isInstanceOfSatisfying(StagecraftException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void expiredEnvironmentIsReapedAtStart() {
        Stagecraft first = open(clock, Map.of());
        EnvironmentInfo created = first.manager().create(EnvironmentRequirement.builder().ttl(Duration.ofSeconds(5)).build());
        clock.advance(Duration.ofMinutes(1));
        events.clear();
        Stagecraft second = open(clock, Map.of());
        assertThat(eventsOf(created.id())).containsExactly(REAPED);
        assertThat(second.manager().list(Optional.empty(), Map.of())).isEmpty();
        assertThat(sandboxDir(created.id())).doesNotExist();
    }

    @Test
    void idleReapingUsesTheLastUse() {
        Stagecraft stagecraft = open(clock, Map.of("STAGECRAFT_ENVIRONMENTS__IDLE_TIMEOUT", "10m"));
        EnvironmentManager manager = stagecraft.manager();
        EnvironmentInfo idle = manager.create(EnvironmentRequirement.builder().ttl(Duration.ofHours(5)).build());
        EnvironmentInfo busy = manager.create(EnvironmentRequirement.builder().ttl(Duration.ofHours(5)).build());
        clock.advance(Duration.ofMinutes(8));
        manager.execute(busy.id(), ExecRequest.of("true"));
        clock.advance(Duration.ofMinutes(8));
        assertThat(manager.reap()).isEqualTo(1);
        assertThat(manager.list(Optional.empty(), Map.of())).extracting(EnvironmentInfo::id).containsExactly(busy.id());
        assertThat(events.stream().filter(e -> e.type() == REAPED).map(EnvironmentEvent::detail))
                .containsExactly("idle for more than PT10M");
        assertThat(sandboxDir(idle.id())).doesNotExist();
    }

    @Test
    void environmentLeasedByAProcessKilledWithSigkillIsReaped() throws Exception {
        Path holderErr = state.resolve("holder.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LeaseHolderMain.class.getName(), state.toString())
                .redirectError(holderErr.toFile())
                .start();
        String id;
        try {
            id = awaitLeasedId(child, holderErr, Duration.ofSeconds(90));
            Stagecraft watcher = open();
            assertThat(eventsOf(id)).as("a live holder's environment is adopted, not reaped").containsExactly(ADOPTED);
            assertThat(watcher.manager().reap()).isZero();
            assertThat(watcher.manager().status(id).labels().get(ProcessIdentity.HOLDER_LABEL))
                    .hasValueSatisfying(holder -> assertThat(holder).endsWith("/" + child.pid() + "/"
                            + child.info().startInstant().orElseThrow().toEpochMilli()));
        } finally {
            child.destroyForcibly(); // SIGKILL: the child's lease is never closed
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isEqualTo(137);
        assertThat(sandboxDir(id)).as("a killed holder leaves its environment behind").isDirectory();

        events.clear();
        Stagecraft next = open();
        assertThat(eventsOf(id)).containsExactly(REAPED);
        assertThat(events.get(0).detail()).matches("its holder process .+/" + child.pid() + "/\\d+ is gone");
        assertThat(next.manager().list(Optional.empty(), Map.of())).isEmpty();
        assertThat(sandboxDir(id)).doesNotExist();
        assertThat(AuditLines.actions(audit(), id)).containsExactly("create", "create-result", "reap");
        // the first watcher still holds it in memory; its reaper pass finds the holder gone as well
        Stagecraft watcher = opened.get(0);
        assertThat(watcher.manager().reap()).isEqualTo(1);
        assertThat(watcher.manager().list(Optional.empty(), Map.of())).isEmpty();
    }

    private static String awaitLeasedId(Process child, Path stderr, Duration limit) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child was killed
            }
        }, "lease-holder-stdout");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith("LEASED ")) {
                return line.substring("LEASED ".length()).trim();
            }
            if (!child.isAlive() && lines.isEmpty()) {
                throw new AssertionError("the lease holder exited with " + child.exitValue() + ": " + Files.readString(stderr));
            }
        }
        throw new AssertionError("the lease holder printed no id within " + limit + ": " + Files.readString(stderr));
    }

    @Test
    void closingTheManagerDestroysOnlyItsLeases() {
        Stagecraft stagecraft = open();
        Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build());
        EnvironmentInfo created = stagecraft.manager().create(EnvironmentRequirement.builder().build());
        stagecraft.close();
        opened.remove(stagecraft);
        assertThat(sandboxDir(lease.id())).doesNotExist();
        assertThat(sandboxDir(created.id())).isDirectory();
        assertThat(AuditLines.actions(audit(), lease.id())).containsExactly("create", "create-result", "destroy");
        open(); // adopts the created one, so the clean-up destroys it
    }

    @Test
    void everyActionIsAuditedWithOwnerEnvironmentAndOutcome() {
        EnvironmentManager manager = open().manager();
        String id = manager.create(EnvironmentRequirement.builder().build()).id();
        manager.putFile(id, "in.txt", "data".getBytes(StandardCharsets.UTF_8));
        assertThat(manager.getFile(id, "in.txt", 100)).hasSize(4);
        StagecraftException escape = catchThrowableOfType(StagecraftException.class, () -> manager.getFile(id, "../labels", 100));
        manager.stop(id);
        manager.execute(id, ExecRequest.of("true"));
        assertThat(manager.destroy(id)).isTrue();

        List<JsonNode> lines = AuditLines.read(audit()).stream().filter(n -> n.path("environment").asText().equals(id)).toList();
        assertThat(lines).extracting(n -> n.path("action").asText() + " " + n.path("outcome").asText()).containsExactly(
                "create started", "create-result ok", "put-file ok", "get-file ok", "get-file failed", "stop ok",
                "start ok", "exec started", "exec-result ok", "destroy ok");
        assertThat(lines).allSatisfy(n -> {
            assertThat(n.path("owner").asText()).isEqualTo("local");
            assertThat(n.path("kind").asText()).isEqualTo("sandbox");
            assertThat(n.path("level").asText()).isEqualTo("medium");
        });
        assertThat(lines.get(2).path("path").asText()).isEqualTo("in.txt");
        assertThat(lines.get(2).path("bytes").asInt()).isEqualTo(4);
        assertThat(lines.get(3).path("bytes").asInt()).isEqualTo(4);
        assertThat(lines.get(4).path("path").asText()).isEqualTo("../labels");
        assertThat(lines.get(4).path("error").asText()).isEqualTo(escape.getMessage());
    }

    @Test
    void stoppedEnvironmentIsStartedForExec() {
        Stagecraft stagecraft = open();
        EnvironmentInfo created = stagecraft.manager().create(EnvironmentRequirement.builder().build());
        stagecraft.manager().stop(created.id());
        assertThat(stagecraft.manager().status(created.id()).status()).isEqualTo(EnvironmentStatus.STOPPED);
        assertThat(stagecraft.manager().execute(created.id(), ExecRequest.of("echo", "again")).stdoutText()).isEqualTo("again\n");
        assertThat(eventsOf(created.id())).containsExactly(CREATED, STOPPED, STARTED, EXEC_STARTED, EXEC_FINISHED);
        assertThat(AuditLines.actions(audit(), created.id())).containsExactly("create", "create-result", "stop", "start", "exec", "exec-result");
    }

    @Test
    void unknownIdIsNotFound() {
        EnvironmentManager manager = open().manager();
        for (Runnable call : List.<Runnable>of(
                () -> manager.execute("sc-nosuchthing", ExecRequest.of("true")),
                () -> manager.status("sc-nosuchthing"),
                () -> manager.stop("sc-nosuchthing"),
                () -> manager.usage("sc-nosuchthing"),
                () -> manager.putFile("sc-nosuchthing", "a", new byte[0]),
                () -> manager.getFile("sc-nosuchthing", "a", 1))) {
            StagecraftException e = catchThrowableOfType(StagecraftException.class, call::run);
            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(e.getMessage()).isEqualTo("no environment with id 'sc-nosuchthing'");
        }
        assertThat(manager.destroy("sc-nosuchthing")).isFalse();
    }

    @Test
    void criticalLevelFindsNoVmAndWritesNoCreateRecordEvenWithAuditOff() {
        Stagecraft stagecraft = open(Clock.systemUTC(), Map.of("STAGECRAFT_AUDIT__ENABLED", "false"));
        assertThat(stagecraft.config().auditEnabled()).isFalse();
        EnvironmentRequirement critical = EnvironmentRequirement.builder().securityLevel(SecurityLevel.CRITICAL).build();
        StagecraftException e = catchThrowableOfType(StagecraftException.class, () -> stagecraft.manager().acquire(critical));
        assertThat(e.code()).isEqualTo(ErrorCode.NO_PROVIDER);
        assertThat(e.getMessage()).contains("sandbox: dropped by security: offers isolation up to container; level critical needs vm or stronger");
        assertThat(AuditLines.read(audit())).as("nothing was created, so nothing is audited").isEmpty();
        assertThat(events).as("only the selection that found nothing").singleElement()
                .satisfies(event -> assertThat(event.type()).isEqualTo(EnvironmentEvent.Type.SELECTED))
                .satisfies(event -> assertThat(event.kind()).isEmpty());

        // a medium environment with audit off leaves no record either
        try (Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {
            lease.execute(ExecRequest.of("true"));
        }
        assertThat(audit()).doesNotExist();
    }

    @Test
    void listenerFailureNeverReachesTheCaller() {
        Stagecraft stagecraft = open();
        stagecraft.manager().addListener(event -> {
            throw new IllegalStateException("listener bug");
        });
        try (Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().build())) {
            assertThat(lease.execute(ExecRequest.of("echo", "fine")).stdoutText()).isEqualTo("fine\n");
        }
        assertThat(events).extracting(EnvironmentEvent::type).containsExactly(EnvironmentEvent.Type.SELECTED, CREATED,
                EXEC_STARTED, EXEC_FINISHED, DESTROYED);
    }

    private static List<String> readAll(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
