package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The docker provider through the embedded manager, against the Docker CLI, per run of /bin/true in the busybox test
 * image: a cold acquire + exec + release against {@code docker run --rm}; an acquire from a warm pool; an exec round
 * trip in a running container against {@code docker exec} into the same container; the cold path and the exec round
 * trip again with gVisor (runsc), the high level. Run by {@link BenchMain}.
 */
public class DockerBenchmarks {
    static final String IMAGE = "stagecraft/busybox:latest";
    private static final ExecRequest TRUE = ExecRequest.of("/bin/true");
    /** No pool has this profile: every acquire selects and creates. */
    private static final EnvironmentRequirement COLD = EnvironmentRequirement.builder().toolType("docker-cold").provider("docker").build();
    /** The high level: docker with gVisor (runsc), since the sandbox does not serve it. */
    private static final EnvironmentRequirement GVISOR = EnvironmentRequirement.builder().toolType("docker-cold")
            .securityLevel(SecurityLevel.HIGH).provider("docker").build();
    /** The profile of the warm pool {@code docker-warm}. */
    private static final EnvironmentRequirement WARM = EnvironmentRequirement.builder().toolType("docker-warm").provider("docker").build();

    /** The manager, with docker mapped to the busybox image and a warm pool, and one environment held for execs. */
    @State(Scope.Benchmark)
    public static class Manager {
        Stagecraft stagecraft;
        Lease held;
        Lease heldGvisor;
        List<String> cliExec;
        List<String> cliExecGvisor;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            stagecraft = BenchStagecraft.start("docker", "providers:\n  docker:\n    pull: false\n    images:\n      default: " + IMAGE + "\n"
                    + "pools:\n  docker-warm:\n    size: 4\n    tool-type: docker-warm\n    provider: docker\n");
            held = stagecraft.manager().acquire(COLD);
            cliExec = List.of("docker", "exec", "stagecraft-" + held.id(), "/bin/true");
            heldGvisor = stagecraft.manager().acquire(GVISOR);
            cliExecGvisor = List.of("docker", "exec", "stagecraft-" + heldGvisor.id(), "/bin/true");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            held.close();
            heldGvisor.close();
            stagecraft.close();
        }
    }

    /** A lease taken from the warm pool, released outside the measurement, once the pool has one ready again. */
    @State(Scope.Thread)
    public static class Pooled {
        Lease lease;

        @Setup(Level.Invocation)
        public void awaitWarm(Manager manager) {
            BenchStagecraft.awaitPool(manager.stagecraft, "docker-warm", 1, Duration.ofMinutes(1));
        }

        @TearDown(Level.Invocation)
        public void release() {
            if (lease != null) {
                lease.close();
                lease = null;
            }
        }
    }

    @Benchmark
    public int cliDockerRunRm() throws Exception {
        return BareCommands.run(List.of("docker", "run", "--rm", "--network", "none", IMAGE, "/bin/true"));
    }

    /** What a caller pays for one command without a pool: select, create, exec, destroy. */
    @Benchmark
    public int coldAcquireExecRelease(Manager manager) {
        return acquireExecRelease(manager, COLD);
    }

    @Benchmark
    public int cliDockerRunRmGvisor() throws Exception {
        return BareCommands.run(List.of("docker", "run", "--rm", "--network", "none", "--runtime", "runsc", IMAGE, "/bin/true"));
    }

    /** The same at the high level: a gVisor container. */
    @Benchmark
    public int coldAcquireExecReleaseGvisor(Manager manager) {
        return acquireExecRelease(manager, GVISOR);
    }

    @Benchmark
    public int cliDockerExecGvisor(Manager manager) throws Exception {
        return BareCommands.run(manager.cliExecGvisor);
    }

    @Benchmark
    public int execGvisor(Manager manager) {
        return check(manager.heldGvisor.execute(TRUE));
    }

    @Benchmark
    public String warmAcquire(Manager manager, Pooled pooled) {
        pooled.lease = manager.stagecraft.manager().acquire(WARM);
        return pooled.lease.id();
    }

    @Benchmark
    public int cliDockerExec(Manager manager) throws Exception {
        return BareCommands.run(manager.cliExec);
    }

    @Benchmark
    public int exec(Manager manager) {
        return check(manager.held.execute(TRUE));
    }

    private static int acquireExecRelease(Manager manager, EnvironmentRequirement requirement) {
        try (Lease lease = manager.stagecraft.manager().acquire(requirement)) {
            return check(lease.execute(TRUE));
        }
    }

    private static int check(ExecResult result) {
        if (!result.succeeded()) {
            throw new IllegalStateException("/bin/true in docker failed: " + result);
        }
        return result.exitCode();
    }
}
