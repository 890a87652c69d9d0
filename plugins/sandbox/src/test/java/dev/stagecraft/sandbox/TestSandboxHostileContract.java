package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.HostileContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The provider kit's hostile battery (the one docker runs with runc and runsc) against the sandbox, beside the
 * sandbox's own deeper battery ({@link TestHostileCode}, with a C probe). After each attack: no cgroup, directory,
 * mount or process of the environment is left.
 */
class TestSandboxHostileContract extends HostileContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return SandboxFixtures.provider(stateDir, Map.of("pids", Long.toString(pidsLimit()),
                "tmp-size", scratchBytes() / MIB + "m", "file-size", fileSizeBytes() / MIB + "m",
                "open-files", Long.toString(openFiles())));
    }

    /** The sandbox sees the host's /usr: Debian's tools where it has them, busybox-static's (10-sandbox.sh) otherwise. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }

    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        SandboxEnvironment sandbox = (SandboxEnvironment) destroyed;
        assertThat(sandbox.cgroup().procsFiles()).isNotEmpty().noneMatch(procs -> Files.exists(procs.getParent()));
        assertThat(sandbox.directory().dir()).doesNotExist();
        assertThat(TestHostileCode.processesInCgroupOf(destroyed.id())).as("processes left in its cgroup").isEmpty();
        try {
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(destroyed.id());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
