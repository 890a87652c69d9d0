package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Termination;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.tck.HostileContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The provider kit's hostile battery through the provider's bootstrap in the emulator, which holds each execution
 * environment to Lambda's quotas (docs/providers/lambda.md, "Hostile code"): memory as the function's MemorySize,
 * 64 processes here instead of Lambda's 1024 (so the flood is quick), 1024 open files, /tmp of the function's
 * EphemeralStorage (512 MB at least), no /dev/shm. The hooks say where a Lambda function differs from a sandbox.
 */
class TestLambdaHostileCode extends HostileContract {
    private static final SharedEmulator EMULATOR = new SharedEmulator(LambdaEmulator.Options.defaults().withProcesses(64));

    @AfterAll
    static void stopEmulator() {
        EMULATOR.close();
    }

    /**
     * More than the kit asks (it accepts a timeout): the bootstrap's watcher ends a fork bomb at the process limit as a
     * limit kill, long before the command's timeout, and every process of it is gone. The emulator's sh is bash, as
     * provided.al2023's: a bash whose fork is refused waits and tries again, so its bomb holds the limit (dash's
     * processes exit instead, and its bomb can die out within milliseconds, between two of the watcher's counts).
     */
    @Test
    void forkBombIsKilledAtTheProcessLimit() {
        create();
        ExecResult result = sh(Duration.ofSeconds(60), ": hostile-bomb; f() { f | f & }; f; sleep 100");
        assertThat(result.termination()).as(result.detail()).isEqualTo(Termination.LIMIT_KILLED);
        assertThat(result.detail()).isEqualTo("failed: process limit " + pidsLimit() + " reached; its processes held the"
                + " limit and were killed");
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.duration()).as("the kill came well before the 60 s timeout").isLessThan(Duration.ofSeconds(20));
        awaitNoProcessWith("hostile-bomb", Duration.ofSeconds(15));
    }

    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        Map<String, Object> settings = LambdaFixtures.settings(EMULATOR.get(), stateDir, LambdaEmulator.Options.SECRET_KEY);
        settings.put("memory", "1g");
        return LambdaFixtures.provider(settings, stateDir);
    }

    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        String function = ((LambdaEnvironment) destroyed).functionName();
        assertThat(EMULATOR.get().functionNames()).doesNotContain(function);
        assertThat(EMULATOR.get().warmInstances(function)).isZero();
        for (String controller : List.of("memory", "pids")) {
            Path parent = Path.of("/sys/fs/cgroup", controller, "stagecraft-lambda-emulator");
            if (!Files.isDirectory(parent)) {
                continue;
            }
            try (Stream<Path> cgroups = Files.list(parent)) {
                assertThat(cgroups.map(p -> p.getFileName().toString()))
                        .as("cgroups of the function's execution environments").noneMatch(n -> n.contains("-" + function + "-"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The emulator's userland is the host's; busybox words the refusals as the battery expects. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }

    /** Lambda's /tmp is at least 512 MB (EphemeralStorage). */
    @Override
    protected long scratchBytes() {
        return 512 * MIB;
    }

    /** Lambda sets no limit on one file's size: /tmp's size is the only bound. */
    @Override
    protected long fileSizeBytes() {
        return 0;
    }

    /** Lambda's smallest MemorySize is 128 MB; the provider rounds a requirement up to whole MB and to that floor. */
    @Override
    protected long grantedMemoryBytes(long requested) {
        return Math.max(128 * MIB, (requested + MIB - 1) / MIB * MIB);
    }

    /** Lambda has no /dev/shm; the emulator's /dev is read-only. */
    @Override
    protected boolean hasDevShm() {
        return false;
    }

    /**
     * The bootstrap reads the process limit (RLIMIT_NPROC, 64 here) and reports a command that reached it: one its
     * watcher saw there and killed (the flood's bash waits at the refused fork and tries again), or one that failed
     * with its processes still there.
     */
    @Override
    protected boolean pidsLimitHitsAreReported() {
        return true;
    }

    /** The provider reads no CPU use of a function (Lambda reports it only in CloudWatch). */
    @Override
    protected boolean reportsCpuUsage() {
        return false;
    }

    /** A Lambda function always has network; the kind declares it, and selection drops it where network is forbidden. */
    @Override
    protected boolean networkAlwaysOn() {
        return true;
    }

    /** bubblewrap's --disable-userns holds the count of further user namespaces at zero: ENOSPC. */
    @Override
    protected String userNamespaceRefusedError() {
        return "No space left on device";
    }
}
