package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;

import java.io.IOException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;


/**
 * Acquire through the manager: from a warm pool of sandboxes (the lease is closed outside the measurement),
 * and cold (select + create) for comparison; and a whole command through the manager (warm acquire, exec, release).
 */
@State(Scope.Thread)
public class ManagerBenchmarks {
    private static final EnvironmentRequirement SHELL = EnvironmentRequirement.builder().toolType("shell").build();
    private static final ExecRequest TRUE = ExecRequest.of("/bin/true");
    private static final EnvironmentRequirement COLD = EnvironmentRequirement.builder().toolType("generic").build();

    private Stagecraft stagecraft;
    private Lease lease;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        stagecraft = BenchStagecraft.start("manager", "pools:\n  shell:\n    size: 8\n    tool-type: shell\n");
    }

    @TearDown(Level.Invocation)
    public void release() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stagecraft.close();
    }

    @Benchmark
    public String warmAcquire() {
        lease = stagecraft.manager().acquire(SHELL);
        return lease.id();
    }

    /** What a caller of the embedded manager pays for one command: a sandbox from the warm pool, the command, its removal. */
    @Benchmark
    public int warmAcquireExecRelease() {
        try (Lease used = stagecraft.manager().acquire(SHELL)) {
            ExecResult result = used.execute(TRUE);
            if (!result.succeeded()) {
                throw new IllegalStateException("sandboxed /bin/true failed: " + result);
            }
            return result.exitCode();
        }
    }

    @Benchmark
    public String coldAcquire() {
        lease = stagecraft.manager().acquire(COLD);
        return lease.id();
    }
}
