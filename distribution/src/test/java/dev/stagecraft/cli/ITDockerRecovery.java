package dev.stagecraft.cli;

import dev.stagecraft.cli.Distribution.Outcome;
import dev.stagecraft.cli.Distribution.Started;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 4's recovery items against the real Docker Engine through the real command line: a manager killed with
 * SIGKILL during an exec, the Engine restarted during an exec, and resources left by a create that died on the client
 * side. Everything runs under an owner of its own, so only what these tests make is looked at (and reaped).
 */
class ITDockerRecovery {
    private static final String OWNER = "it-recovery-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String OWNER_LABEL = "dev.stagecraft.owner";
    private static final String ID_LABEL = "dev.stagecraft.environment-id";
    private static final String HOLDER_LABEL = "dev.stagecraft.holder";

    @TempDir
    static Path work;
    static Distribution distribution;
    static Map<String, String> env;

    @BeforeAll
    static void unpack() throws Exception {
        distribution = Distribution.unpack(work);
        Map<String, String> e = new HashMap<>(Distribution.LOCAL_IMAGES);
        e.put("STAGECRAFT_OWNER", OWNER);
        env = Map.copyOf(e);
        distribution.requireProvider("docker", env);
    }

    /** Whatever a failed test left behind under this class's owner. */
    @AfterAll
    static void removeLeftovers() throws Exception {
        if (env == null || !engineAnswers()) {
            return;
        }
        for (String container : lines(docker("ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + OWNER).out())) {
            docker("rm", "-f", "-v", container);
        }
        for (String volume : lines(docker("volume", "ls", "-q", "--filter", "label=" + OWNER_LABEL + "=" + OWNER).out())) {
            docker("volume", "rm", "-f", volume);
        }
    }

    @Test
    void aManagerKilledDuringAnExecIsCleanedUpByTheNextRun() throws Exception {
        List<String> before = lines(docker("ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + OWNER).out());
        Started run = distribution.start(env, "run", "--provider", "docker", "--", "sleep", "300");
        String container;
        String id;
        try {
            container = await("the container of the run", Duration.ofSeconds(120), () -> {
                assertThat(run.process().isAlive()).as("the run is still running; stderr so far: %s", errSoFar(run)).isTrue();
                List<String> ids = new ArrayList<>(lines(docker("ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + OWNER).out()));
                ids.removeAll(before);
                return ids.size() == 1 ? Optional.of(ids.get(0)) : Optional.empty();
            });
            await("sleep 300 running in " + container, Duration.ofSeconds(60),
                    () -> docker("top", container).out().contains("sleep 300") ? Optional.of(true) : Optional.empty());
            Map<String, String> labels = labels(container);
            id = labels.get(ID_LABEL);
            assertThat(id).startsWith("sc-");
            // bin/stagecraft execs java: the launched process is the JVM whose identity the holder label carries.
            assertThat(labels.get(HOLDER_LABEL)).contains("/" + run.process().pid() + "/");

            run.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            run.process().destroyForcibly(); // SIGKILL
            assertThat(run.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(run.process().exitValue()).isEqualTo(137);
        } finally {
            run.process().destroyForcibly();
        }
        assertThat(lines(docker("ps", "-aq", "--filter", "label=" + ID_LABEL + "=" + id).out()))
                .as("the killed run's container is left behind until someone reconciles").hasSize(1);
        assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + id).out())).hasSize(1);

        Outcome next = distribution.run(env, "run", "--provider", "docker", "--", "true");
        assertThat(next.exitCode()).as(next.err()).isZero();
        assertThat(lines(docker("ps", "-aq", "--filter", "label=" + ID_LABEL + "=" + id).out())).as("containers of " + id).isEmpty();
        assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + id).out())).as("volumes of " + id).isEmpty();
        assertThat(lines(docker("ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + OWNER).out()))
                .as("the second run removed its own environment too").containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void anEngineRestartedMidExecGivesOneClearErrorThenRecovers() throws Exception {
        Outcome created = distribution.run(env, "env", "create", "--provider", "docker");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();
        assertThat(id).startsWith("sc-");
        String container = "stagecraft-" + id;
        try {
            Started exec = distribution.start(env, "env", "exec", id, "--", "sleep", "30");
            try {
                await("sleep 30 running in " + container, Duration.ofSeconds(60), () -> {
                    assertThat(exec.process().isAlive()).as("the exec is still running; stderr so far: %s", errSoFar(exec)).isTrue();
                    return docker("top", container).out().contains("sleep 30") ? Optional.of(true) : Optional.empty();
                });
                restartEngine();
                Outcome broken = exec.outcome(90);
                assertThat(broken.exitCode()).as("exit code of the interrupted exec; stderr: %s", broken.err()).isNotZero();
                assertThat(broken.err().strip().lines().toList()).as("stderr of the interrupted exec")
                        .singleElement().asString().startsWith("stagecraft: ").contains(id).doesNotContain("Exception");
            } finally {
                exec.process().destroyForcibly();
            }
            // The Engine stops containers when it shuts down (no live-restore): the next exec starts it again.
            assertThat(docker("inspect", "--format", "{{.State.Status}}", container).out().trim()).isEqualTo("exited");
            Outcome again = distribution.run(env, "env", "exec", id, "--", "echo", "ok");
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(again.out()).isEqualTo("ok\n");
            Outcome removed = distribution.run(env, "env", "rm", id);
            assertThat(removed.exitCode()).as(removed.err()).isZero();
            assertThat(lines(docker("ps", "-aq", "--filter", "label=" + ID_LABEL + "=" + id).out())).isEmpty();
            assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + id).out())).isEmpty();
        } finally {
            ensureEngineRunning();
            docker("rm", "-f", "-v", container);
            docker("volume", "rm", "-f", container + "-workspace");
        }
    }

    @Test
    void resourcesOfACreateThatDiedOnTheClientSideAreReaped() throws Exception {
        String deadHolder = deadHolder();
        Instant now = Instant.now();

        // A container (not started) with its workspace volume, held by a process that is gone.
        String withContainer = newId();
        String volume = "stagecraft-" + withContainer + "-workspace";
        List<String> labels = labelArgs(withContainer, now, deadHolder);
        assertThat(docker(concat(List.of("volume", "create"), labels, List.of(volume))).exitCode()).isZero();
        List<String> containerLabels = new ArrayList<>(labels);
        containerLabels.addAll(List.of("--label", "dev.stagecraft.docker.volume=" + volume));
        Outcome create = docker(concat(List.of("create", "--name", "stagecraft-" + withContainer, "--network", "none",
                "--mount", "type=volume,source=" + volume + ",target=/workspace"), containerLabels,
                List.of("stagecraft/busybox:latest", "sleep", "3600")));
        assertThat(create.exitCode()).as(create.err()).isZero();

        // A lone workspace volume (the create died before the container), held by a process that is gone.
        String loneHeld = newId();
        docker(concat(List.of("volume", "create"), labelArgs(loneHeld, now, deadHolder), List.of("stagecraft-" + loneHeld + "-workspace")));
        // A lone volume of an `env create` (no holder) long past any create's duration.
        String loneOld = newId();
        docker(concat(List.of("volume", "create"), labelArgs(loneOld, now.minus(Duration.ofHours(2)), null),
                List.of("stagecraft-" + loneOld + "-workspace")));
        // A lone volume of an `env create` that may still be in progress: left alone.
        String loneYoung = newId();
        docker(concat(List.of("volume", "create"), labelArgs(loneYoung, now, null), List.of("stagecraft-" + loneYoung + "-workspace")));
        for (String id : List.of(withContainer, loneHeld, loneOld, loneYoung)) {
            assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + id).out())).as(id).hasSize(1);
        }

        Outcome ls = distribution.run(env, "env", "ls");
        assertThat(ls.exitCode()).as(ls.err()).isZero();
        assertThat(ls.out()).doesNotContain(withContainer).doesNotContain(loneHeld).doesNotContain(loneOld).doesNotContain(loneYoung);
        assertThat(lines(docker("ps", "-aq", "--filter", "label=" + ID_LABEL + "=" + withContainer).out())).isEmpty();
        for (String id : List.of(withContainer, loneHeld, loneOld)) {
            assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + id).out())).as("volumes of " + id).isEmpty();
        }
        assertThat(lines(docker("volume", "ls", "-q", "--filter", "label=" + ID_LABEL + "=" + loneYoung).out()))
                .as("a young volume without a holder may belong to a create in progress").hasSize(1);
        docker("volume", "rm", "stagecraft-" + loneYoung + "-workspace");
    }

    // ---- helpers ----

    private static String newId() {
        String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
        StringBuilder id = new StringBuilder("sc-");
        java.util.Random random = new java.security.SecureRandom();
        for (int i = 0; i < 10; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    /** The labels the manager writes, as {@code --label} arguments; {@code holder} null for none. */
    private static List<String> labelArgs(String id, Instant createdAt, String holder) {
        List<String> args = new ArrayList<>(List.of(
                "--label", OWNER_LABEL + "=" + OWNER,
                "--label", ID_LABEL + "=" + id,
                "--label", "dev.stagecraft.created-at=" + createdAt,
                "--label", "dev.stagecraft.ttl=P1D",
                "--label", "dev.stagecraft.kind=docker",
                "--label", "dev.stagecraft.security-level=medium",
                "--label", "dev.stagecraft.docker.isolation=container"));
        if (holder != null) {
            args.addAll(List.of("--label", HOLDER_LABEL + "=" + holder));
        }
        return args;
    }

    /** {@code host/pid/start-millis} of a process that ran on this host and is gone. */
    private static String deadHolder() throws Exception {
        Process process = new ProcessBuilder("sleep", "60").start();
        long start = process.toHandle().info().startInstant().map(Instant::toEpochMilli).orElseThrow();
        process.destroyForcibly();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive)).isEmpty();
        return InetAddress.getLocalHost().getHostName() + "/" + process.pid() + "/" + start;
    }

    @SafeVarargs
    private static String[] concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all.toArray(String[]::new);
    }

    private static Map<String, String> labels(String container) throws Exception {
        Outcome inspect = docker("inspect", "--format", "{{json .Config.Labels}}", container);
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        Map<String, String> labels = new HashMap<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(inspect.out()).fields()
                .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static String errSoFar(Started started) {
        try {
            return started.errSoFar();
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The docker command line, to at most a minute. */
    static Outcome docker(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "docker-out", ".txt");
        Path err = Files.createTempFile(work, "docker-err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Outcome(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    interface Probe<T> {
        Optional<T> get() throws Exception;
    }

    /** Polls {@code probe} every 100 ms until it gives a value, failing after {@code limit}. */
    static <T> T await(String what, Duration limit, Probe<T> probe) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("waited " + limit.toSeconds() + " s for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    // ---- the Engine, stopped and started as scripts/setup.d/20-docker.sh does ----

    private static final Path DOCKER_PID = Path.of("/var/run/docker.pid");
    private static final String DOCKERD_LOG = "/var/log/stagecraft-dockerd.log";

    static boolean engineAnswers() throws IOException, InterruptedException {
        Process info = new ProcessBuilder("docker", "info").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!info.waitFor(10, TimeUnit.SECONDS)) {
            info.destroyForcibly();
            return false;
        }
        return info.exitValue() == 0;
    }

    private static Optional<ProcessHandle> dockerd() throws IOException {
        if (!Files.exists(DOCKER_PID)) {
            return Optional.empty();
        }
        String pid = Files.readString(DOCKER_PID).strip();
        return pid.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(pid)).filter(ProcessHandle::isAlive);
    }

    static void restartEngine() throws Exception {
        ProcessHandle daemon = dockerd().orElseThrow(() -> new AssertionError("no dockerd at the pid in " + DOCKER_PID));
        assertThat(daemon.destroy()).as("SIGTERM to dockerd " + daemon.pid()).isTrue();
        await("dockerd " + daemon.pid() + " to stop", Duration.ofSeconds(60),
                () -> daemon.isAlive() ? Optional.empty() : Optional.of(true));
        startEngine();
    }

    private static void startEngine() throws Exception {
        Files.deleteIfExists(DOCKER_PID);
        Process start = new ProcessBuilder("sh", "-c", "setsid nohup dockerd >>" + DOCKERD_LOG + " 2>&1 </dev/null &")
                .inheritIO().start();
        assertThat(start.waitFor(10, TimeUnit.SECONDS)).isTrue();
        await("dockerd to answer (log: " + DOCKERD_LOG + ")", Duration.ofSeconds(60),
                () -> engineAnswers() ? Optional.of(true) : Optional.empty());
    }

    /** Whatever happened, the Engine runs afterwards. */
    static void ensureEngineRunning() throws Exception {
        if (engineAnswers()) {
            return;
        }
        Optional<ProcessHandle> daemon = dockerd();
        if (daemon.isPresent()) {
            // starting, or stopping: wait for either
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (daemon.get().isAlive() && !engineAnswers() && System.nanoTime() - end < 0) {
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
            if (engineAnswers()) {
                return;
            }
        }
        startEngine();
    }
}
