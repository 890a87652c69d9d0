package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.HostileContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The provider kit's hostile battery in a gpu environment (the sandbox's hardening plus device nodes): after each
 * attack the environment's folder, mounts and GPU allocation are gone.
 */
class TestGpuHostileContract extends HostileContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return GpuFixtures.provider(stateDir, GpuFixtures.sharedHost(), Map.of("pids", Long.toString(pidsLimit()),
                "tmp-size", scratchBytes() / MIB + "m", "file-size", fileSizeBytes() / MIB + "m",
                "open-files", Long.toString(openFiles())));
    }

    /** The environment sees the host's /usr, as the sandbox does: busybox-static's tools where Debian's are missing. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }

    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        assertThat(stateDir.resolve("envs").resolve(destroyed.id())).doesNotExist();
        Path allocations = GpuFixtures.allocations(stateDir);
        try (var records = Files.isDirectory(allocations) ? Files.list(allocations) : java.util.stream.Stream.<Path>empty()) {
            assertThat(records.filter(Files::isRegularFile).map(TestGpuHostileContract::read)
                    .filter(text -> text.contains("environment-id=" + destroyed.id())))
                    .as("allocation records of the destroyed environment").isEmpty();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(destroyed.id());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
