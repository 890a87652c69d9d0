package dev.stagecraft.tck;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link EnvironmentProvider} keeps. Subclass it in your provider's tests (name the subclass
 * {@code Test...} so Surefire runs it) and implement {@link #newProvider}. Each test gets a fresh state
 * directory; {@link #newProvider} is called again with the same directory to simulate a restart.
 *
 * <p>The commands run inside the environment assume a POSIX shell and coreutils on the environment's PATH
 * ({@code sh}, {@code env}, {@code pwd}, {@code cat}, {@code head}, {@code wc}, {@code ln}, {@code sleep}).
 * When the backend is missing the tests fail if the environment variable {@code CI} is set, and are skipped
 * with the probe's reason otherwise ({@link BackendRequirement}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class ProviderContract {
    /** The user label every environment made by the kit carries (stored under {@link Labels#USER_PREFIX}). */
    protected static final String USER_LABEL = Labels.USER_PREFIX + "tck-purpose";

    @TempDir
    protected Path stateDir;
    @TempDir
    protected Path hostDir;

    protected EnvironmentProvider provider;
    private final List<EnvironmentProvider> providers = new ArrayList<>();
    private final List<ExecutionEnvironment> created = new ArrayList<>();

    /**
     * A provider, initialized with {@code stateDir} as its state directory and ready for use. Called once per
     * test, and again with the same directory where a test simulates a restart of the host process.
     */
    protected abstract EnvironmentProvider newProvider(Path stateDir);

    /** The requirement the kit creates environments for; override to fit your backend. */
    protected EnvironmentRequirement requirement() {
        return EnvironmentRequirement.builder().toolType("tck").expectedDuration(Duration.ofSeconds(10))
                .ttl(Duration.ofMinutes(10)).label("tck-purpose", "contract").build();
    }

    /** The owner written into every environment's labels. */
    protected String owner() {
        return "tck";
    }

    /** The timeout of ordinary commands. */
    protected Duration execTimeout() {
        return Duration.ofSeconds(30);
    }

    /** How long past its timeout a timed-out command may take to come back, its tree killed. */
    protected Duration timeoutSlack() {
        return Duration.ofSeconds(5);
    }

    /** How long status changes and cleanup may take to become visible. */
    protected Duration settleTime() {
        return Duration.ofSeconds(10);
    }

    /**
     * Variable names besides PATH that a shell inside the environment may add on its own to a command's
     * environment (dash and bash export {@code PWD}; some add {@code SHLVL} or {@code _}).
     */
    protected Set<String> toleratedEnvNames() {
        return Set.of("PWD", "SHLVL", "_", "OLDPWD");
    }

    /**
     * Variables the kind sets on its own in every command, with their values (e.g. the sandbox's {@code HOME} and
     * {@code LANG}); never the host's. A request's own value overrides them.
     */
    protected Map<String, String> environmentDefaults() {
        return Map.of();
    }

    /**
     * Whether the kind serves one call at a time in an environment, a file call waiting for a running command (a Lambda
     * execution environment takes one invocation at a time, and a second would start another environment with another
     * /tmp). Then {@code statusIsRunningWhileACommandRuns} ends its command by time instead of by a file it puts.
     */
    protected boolean oneCallAtATime() {
        return false;
    }

    @BeforeEach
    void startProvider() {
        provider = track(newProvider(stateDir));
        BackendRequirement.require(provider);
    }

    @AfterEach
    void cleanUp() {
        for (ExecutionEnvironment env : created) {
            try {
                env.destroy();
            } catch (RuntimeException e) {
                // the test that made it has already failed or checked its own cleanup
            }
        }
        for (EnvironmentProvider p : providers) {
            p.close();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------

    protected EnvironmentProvider track(EnvironmentProvider p) {
        providers.add(p);
        return p;
    }

    protected EnvironmentSpec newSpec() {
        String id = "tck-" + UUID.randomUUID().toString().substring(0, 12);
        EnvironmentRequirement requirement = requirement();
        ProviderCapabilities capabilities = provider.describe();
        IsolationLevel isolation = requirement.isolation().flatMap(capabilities::weakestAtLeast)
                .orElse(capabilities.strongest());
        Labels labels = Labels.of(owner(), id, Instant.now(), Duration.ofMinutes(10))
                .with(Labels.KIND, provider.kind())
                .with(USER_LABEL, "contract");
        return new EnvironmentSpec(id, requirement, isolation, labels);
    }

    protected ExecutionEnvironment create() {
        return create(provider, newSpec());
    }

    protected ExecutionEnvironment create(EnvironmentProvider p, EnvironmentSpec spec) {
        ExecutionEnvironment env = p.create(spec);
        created.add(env);
        return env;
    }

    protected ExecResult exec(ExecutionEnvironment env, String... argv) {
        return env.execute(ExecRequest.builder(argv).timeout(execTimeout()).build());
    }

    protected ExecResult sh(ExecutionEnvironment env, String script) {
        return exec(env, "sh", "-c", script);
    }

    protected ExecResult shOk(ExecutionEnvironment env, String script) {
        ExecResult result = sh(env, script);
        assertThat(result.exitCode()).as("exit code of `%s` (stderr: %s)", script, result.stderrText()).isZero();
        return result;
    }

    protected static Optional<ExecutionEnvironment> findById(List<ExecutionEnvironment> envs, String id) {
        return envs.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    private static void assertPathEscape(Runnable action, String what) {
        Throwable thrown = catchThrowable(action::run);
        assertThat(thrown).as(what + " must be refused (and no content returned)")
                .isInstanceOf(PathEscapeException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.PATH_ESCAPE);
    }

    // ---- provider ----------------------------------------------------------------------------------------

    @Test
    void describesItselfConsistently() {
        ProviderCapabilities capabilities = provider.describe();
        assertThat(capabilities.kind()).isEqualTo(provider.kind());
        assertThat(provider.kind()).matches("[a-z0-9-]+");
        assertThat(capabilities.isolationLevels()).isNotEmpty();
        assertThat(provider.probe().available()).isTrue();
    }

    // ---- lifecycle -----------------------------------------------------------------------------------

    @Test
    void createdEnvironmentIsReadyAndCarriesItsLabels() {
        EnvironmentSpec spec = newSpec();
        ExecutionEnvironment env = create(provider, spec);
        assertThat(env.id()).isEqualTo(spec.id());
        assertThat(env.kind()).isEqualTo(provider.kind());
        assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
        assertThat(env.labels().values()).containsAllEntriesOf(spec.labels().values());
        assertThat(env.labels().owner()).isEqualTo(owner());
        assertThat(env.labels().userLabels()).containsEntry("tck-purpose", "contract");
    }

    @Test
    void stopAndStartMoveBetweenStoppedAndReady() {
        ExecutionEnvironment env = create();
        env.stop();
        assertThat(env.status()).isEqualTo(EnvironmentStatus.STOPPED);
        env.stop();
        assertThat(env.status()).as("stop is idempotent").isEqualTo(EnvironmentStatus.STOPPED);
        env.start();
        assertThat(env.status()).isEqualTo(EnvironmentStatus.READY);
        env.start();
        assertThat(env.status()).as("start of a ready environment is a no-op").isEqualTo(EnvironmentStatus.READY);
        assertThat(sh(env, "echo again").stdoutText()).isEqualTo("again\n");
    }

    @Test
    void statusIsRunningWhileACommandRuns() throws Exception {
        ExecutionEnvironment env = create();
        String script = oneCallAtATime() ? "sleep 2; echo went" : "while [ ! -e go ]; do sleep 0.05; done; echo went";
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(() -> sh(env, script));
        Deadline.await(settleTime(), "status RUNNING while a command runs",
                () -> env.status() == EnvironmentStatus.RUNNING);
        if (!oneCallAtATime()) {
            env.putFile("go", new byte[0]);
        }
        assertThat(running.get(execTimeout().toSeconds(), TimeUnit.SECONDS).stdoutText()).isEqualTo("went\n");
        Deadline.await(settleTime(), "status READY after the command", () -> env.status() == EnvironmentStatus.READY);
    }

    @Test
    void destroyIsIdempotentAndEndsExecution() {
        ExecutionEnvironment env = create();
        env.destroy();
        env.destroy();
        Throwable thrown = catchThrowable(() -> sh(env, "echo too late"));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isIn(ErrorCode.ILLEGAL_STATE, ErrorCode.NOT_FOUND);
    }

    // ---- exec ------------------------------------------------------------------------------------------

    @Test
    void stdoutAndStderrAreSeparate() {
        ExecResult result = sh(create(), "echo to-out; echo to-err >&2");
        assertThat(result.stdoutText()).isEqualTo("to-out\n");
        assertThat(result.stderrText()).isEqualTo("to-err\n");
        assertThat(result.succeeded()).isTrue();
        assertThat(result.truncated()).isFalse();
    }

    @Test
    void stdinIsPipedThenClosed() {
        ExecutionEnvironment env = create();
        ExecResult small = env.execute(ExecRequest.builder("cat").stdin("hello\nworld\n").timeout(execTimeout()).build());
        assertThat(small.stdoutText()).isEqualTo("hello\nworld\n");
        byte[] big = new byte[3 << 20];
        Arrays.fill(big, (byte) 'z');
        ExecResult large = env.execute(ExecRequest.builder("wc", "-c").stdin(big).timeout(execTimeout()).build());
        assertThat(large.stdoutText().trim()).isEqualTo(String.valueOf(big.length));
        ExecResult none = env.execute(ExecRequest.builder("cat").timeout(execTimeout()).build());
        assertThat(none.succeeded()).as("empty stdin is closed at once, cat ends").isTrue();
        assertThat(none.stdout()).isEmpty();
    }

    @Test
    void environmentHoldsOnlyWhatTheRequestSets() {
        ExecResult result = create().execute(ExecRequest.builder("env").env("TCK_GREETING", "hello world")
                .env("TCK_EMPTY", "").timeout(execTimeout()).build());
        assertThat(result.exitCode()).isZero();
        Map<String, String> inside = new TreeMap<>();
        for (String line : result.stdoutText().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                inside.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        assertThat(inside).containsEntry("TCK_GREETING", "hello world").containsEntry("TCK_EMPTY", "")
                .containsKey("PATH");
        Set<String> allowed = new HashSet<>(toleratedEnvNames());
        allowed.addAll(Set.of("PATH", "TCK_GREETING", "TCK_EMPTY"));
        allowed.addAll(environmentDefaults().keySet());
        environmentDefaults().forEach((name, value) -> assertThat(inside).as("the kind's own " + name).containsEntry(name, value));
        assertThat(inside.keySet()).as("variables inside the environment").isSubsetOf(allowed);
        Set<String> hostOnly = new HashSet<>(System.getenv().keySet());
        hostOnly.removeAll(allowed);
        assertThat(hostOnly).as("the host JVM's environment has variables to leak (canary)").isNotEmpty();
        assertThat(inside.keySet()).as("host variables must not leak").doesNotContainAnyElementsOf(hostOnly);
    }

    @Test
    void workingDirectoryIsRelativeToTheWorkspace() {
        ExecutionEnvironment env = create();
        env.putFile("work/sub/marker.txt", "marked".getBytes(UTF_8));
        ExecResult pwd = env.execute(ExecRequest.builder("pwd").workingDir("work/sub").timeout(execTimeout()).build());
        assertThat(pwd.stdoutText().trim()).endsWith("/work/sub");
        ExecResult cat = env.execute(ExecRequest.builder("cat", "marker.txt").workingDir("work/sub")
                .timeout(execTimeout()).build());
        assertThat(cat.stdoutText()).isEqualTo("marked");
        ExecResult root = env.execute(ExecRequest.builder("cat", "work/sub/marker.txt").timeout(execTimeout()).build());
        assertThat(root.stdoutText()).as("the default working directory is the workspace").isEqualTo("marked");
        for (String escape : List.of("../..", "work/../../..", "/etc")) {
            assertPathEscape(() -> env.execute(ExecRequest.builder("pwd").workingDir(escape).build()),
                    "working directory " + escape);
        }
    }

    @Test
    void exitCodesArePassedThrough() {
        ExecutionEnvironment env = create();
        assertThat(sh(env, "exit 0").exitCode()).isZero();
        ExecResult three = sh(env, "exit 3");
        assertThat(three.exitCode()).isEqualTo(3);
        assertThat(three.termination()).isEqualTo(dev.stagecraft.api.Termination.EXITED);
        ExecResult missing = exec(env, "stagecraft-tck-no-such-program");
        assertThat(missing.exitCode()).as("missing program").isEqualTo(127);
    }

    @Test
    void aCommandKilledByASignalIsReportedAsSignaled() {
        ExecutionEnvironment env = create();
        ExecResult killed = sh(env, "kill -TERM $$");
        assertThat(killed.exitCode()).as("128 + SIGTERM, as a shell reports it").isEqualTo(143);
        assertThat(killed.termination()).isEqualTo(dev.stagecraft.api.Termination.SIGNALED);
        assertThat(killed.detail()).startsWith("killed by signal 15");
    }

    @Test
    void timeoutKillsTheWholeProcessTree() {
        ExecutionEnvironment env = create();
        Duration timeout = Duration.ofSeconds(1);
        long started = System.nanoTime();
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c",
                "(while :; do echo beat >> heartbeat; sleep 0.1; done) & sleep 60").timeout(timeout).build());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(result.termination()).isEqualTo(dev.stagecraft.api.Termination.TIMEOUT);
        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isEqualTo(ExecResult.TIMEOUT_EXIT_CODE);
        assertThat(took).isLessThan(timeout.plus(timeoutSlack()));
        int before = env.getFile("heartbeat", 1 << 20).length;
        assertThat(before).as("the background child ran before the timeout").isPositive();
        assertThat(sh(env, "sleep 1").exitCode()).isZero();
        assertThat(env.getFile("heartbeat", 1 << 20).length).as("the background child is gone").isEqualTo(before);
    }

    @Test
    void outputIsCappedAndTheRestDrained() {
        ExecResult result = create().execute(ExecRequest.builder("sh", "-c",
                "head -c 10485760 /dev/zero; head -c 10485760 /dev/zero >&2; echo finished > done.txt")
                .outputLimit(4096).timeout(execTimeout()).build());
        assertThat(result.stdout()).hasSize(4096);
        assertThat(result.stderr()).hasSize(4096);
        assertThat(result.truncated()).isTrue();
        assertThat(result.exitCode()).as("the command ran to its end, its output drained").isZero();
    }

    @Test
    void concurrentCommandsInOneEnvironment() throws Exception {
        ExecutionEnvironment env = create();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String n = String.valueOf(i);
                results.add(pool.submit(() -> env.execute(ExecRequest.builder("sh", "-c",
                        "echo start-$1; sleep 0.3; echo end-$1 >&2; exit $1", "sh", n).timeout(execTimeout()).build())));
            }
            for (int i = 0; i < 6; i++) {
                ExecResult result = results.get(i).get(execTimeout().toSeconds(), TimeUnit.SECONDS);
                assertThat(result.stdoutText()).isEqualTo("start-" + i + "\n");
                assertThat(result.stderrText()).isEqualTo("end-" + i + "\n");
                assertThat(result.exitCode()).isEqualTo(i);
            }
        } finally {
            pool.shutdownNow();
        }
        Deadline.await(settleTime(), "READY after the commands", () -> env.status() == EnvironmentStatus.READY);
    }

    @Test
    void usageIsSampledWithoutThrowing() {
        ExecutionEnvironment env = create();
        ResourceUsage first = env.usage();
        shOk(env, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done");
        ResourceUsage second = env.usage();
        assertThat(first.sampledAt()).isNotNull();
        assertThat(second.sampledAt()).isAfterOrEqualTo(first.sampledAt());
        assertThat(second.memoryBytes()).isGreaterThanOrEqualTo(-1);
        assertThat(second.cpuPercent()).isGreaterThanOrEqualTo(-1);
    }

    // ---- files -----------------------------------------------------------------------------------------

    @Test
    void filesRoundTripThroughNestedDirectories() {
        ExecutionEnvironment env = create();
        byte[] data = new byte[100_000];
        new java.util.Random(42).nextBytes(data);
        env.putFile("a/b/c/data.bin", data);
        assertThat(env.getFile("a/b/c/data.bin", data.length)).isEqualTo(data);
        assertThat(env.getFile("a/b/c/data.bin", 10)).hasSize(10);
        assertThat(sh(env, "wc -c < a/b/c/data.bin").stdoutText().trim()).isEqualTo("100000");
        shOk(env, "echo appended >> a/b/c/data.bin && printf made-inside > a/inside.txt");
        assertThat(env.getFile("a/inside.txt", 1024)).isEqualTo("made-inside".getBytes(UTF_8));
        env.putFile("a/inside.txt", "short".getBytes(UTF_8));
        assertThat(env.getFile("a/inside.txt", 1024)).as("overwrite truncates").isEqualTo("short".getBytes(UTF_8));
    }

    @Test
    void pathsLeavingTheWorkspaceAreRefused() {
        ExecutionEnvironment env = create();
        for (String path : List.of("../x", "a/../../x", "..", "/etc/hostname", "/tmp/stagecraft-tck")) {
            assertPathEscape(() -> env.getFile(path, 1024), "get " + path);
            assertPathEscape(() -> env.putFile(path, new byte[] {1}), "put " + path);
        }
        assertThat(Path.of("/tmp/stagecraft-tck")).doesNotExist();
    }

    @Test
    void symlinksPlantedInsideAreRefused() throws IOException {
        Path canary = hostDir.resolve("canary.txt");
        Files.writeString(canary, "host secret");
        ExecutionEnvironment env = create();
        shOk(env, "ln -s /etc/hostname leak && ln -s /etc etc-link && mkdir -p d && ln -s / d/root"
                + " && ln -s " + canary + " canary && ln -s " + hostDir + " hostdir && ln -s ../.. up");
        assertPathEscape(() -> env.getFile("leak", 1024), "get through a file symlink");
        assertPathEscape(() -> env.getFile("etc-link/hostname", 1024), "get through a directory symlink");
        assertPathEscape(() -> env.getFile("d/root/etc/hostname", 1024), "get through a nested directory symlink");
        assertPathEscape(() -> env.getFile("canary", 1024), "get of the host canary");
        assertPathEscape(() -> env.getFile("hostdir/canary.txt", 1024), "get through a symlink to the host dir");
        assertPathEscape(() -> env.getFile("up/x", 1024), "get through a relative symlink");
        assertPathEscape(() -> env.putFile("canary", "overwritten".getBytes(UTF_8)), "put onto a symlink");
        assertPathEscape(() -> env.putFile("hostdir/planted.txt", new byte[] {1}), "put through a directory symlink");
        assertPathEscape(() -> env.putFile("hostdir/new/planted.txt", new byte[] {1}), "mkdir through a directory symlink");
        assertThat(Files.readString(canary)).isEqualTo("host secret");
        assertThat(hostDir.resolve("planted.txt")).doesNotExist();
        assertThat(hostDir.resolve("new")).doesNotExist();
    }

    // ---- labels and discovery -------------------------------------------------------------------------

    @Test
    void discoverListsEnvironmentsWithTheirLabels() {
        EnvironmentSpec spec = newSpec();
        create(provider, spec);
        ExecutionEnvironment found = findById(provider.discover(), spec.id()).orElseThrow(
                () -> new AssertionError("discover() does not list " + spec.id()));
        assertThat(found.labels().values()).containsAllEntriesOf(spec.labels().values());
        assertThat(found.kind()).isEqualTo(provider.kind());
    }

    @Test
    void discoverAfterRestartAdoptsTheEnvironment() {
        EnvironmentSpec spec = newSpec();
        ExecutionEnvironment original = create(provider, spec);
        original.putFile("kept.txt", "kept".getBytes(UTF_8));

        EnvironmentProvider restarted = track(newProvider(stateDir));
        ExecutionEnvironment adopted = findById(restarted.discover(), spec.id()).orElseThrow(
                () -> new AssertionError("a restarted provider does not discover " + spec.id()));
        assertThat(adopted.labels().values()).containsAllEntriesOf(spec.labels().values());
        assertThat(adopted.status()).isIn(EnvironmentStatus.READY, EnvironmentStatus.STOPPED);
        adopted.start();
        assertThat(exec(adopted, "cat", "kept.txt").stdoutText()).isEqualTo("kept");

        adopted.destroy();
        assertThat(findById(restarted.discover(), spec.id())).as("after destroy, discover()").isEmpty();
        assertThat(findById(provider.discover(), spec.id())).as("the first instance's discover()").isEmpty();
        assertThat(findById(track(newProvider(stateDir)).discover(), spec.id())).as("a third instance").isEmpty();
    }

    @Test
    void destroyedEnvironmentIsNoLongerDiscovered() {
        ExecutionEnvironment keep = create();
        ExecutionEnvironment gone = create();
        gone.destroy();
        List<ExecutionEnvironment> found = provider.discover();
        assertThat(findById(found, gone.id())).isEmpty();
        assertThat(findById(found, keep.id())).isPresent();
    }
}
