package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecutionEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A destroyed environment's emptied cgroup is kept, renamed, for the next create; spares never outlive their manager. */
class TestSpareCgroups {
    @TempDir
    Path stateDir;

    @Test
    void aDestroyedEnvironmentsCgroupServesTheNextCreateWithItsOwnLimits() throws IOException {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        List<Path> kept;
        try {
            SandboxEnvironment first = (SandboxEnvironment) provider.create(SandboxFixtures.spec(
                    EnvironmentRequirement.builder().memoryBytes(512L << 20).build()));
            assertThat(first.execute(ExecRequest.of("true")).exitCode()).isZero();
            List<Path> firstDirs = first.cgroup().directories();
            first.destroy();
            assertThat(firstDirs).noneMatch(Files::exists);
            List<Path> spares = ownSpares(provider);
            assertThat(spares).as("one spare per hierarchy, empty").hasSize(firstDirs.size())
                    .allSatisfy(spare -> assertThat(Files.readString(spare.resolve("cgroup.procs"))).isBlank());

            SandboxEnvironment second = (SandboxEnvironment) provider.create(SandboxFixtures.spec(
                    EnvironmentRequirement.builder().memoryBytes(64L << 20).build()));
            try {
                assertThat(ownSpares(provider)).as("taken").isEmpty();
                assertThat(second.cgroup().directories()).allMatch(Files::isDirectory);
                assertThat(second.usage().memoryLimit()).isEqualTo(64L << 20);
                assertThat(second.execute(ExecRequest.of("echo", "in a reused cgroup")).stdoutText())
                        .isEqualTo("in a reused cgroup\n");
            } finally {
                second.destroy();
            }
            SandboxEnvironment third = (SandboxEnvironment) provider.create(SandboxFixtures.spec(
                    EnvironmentRequirement.builder().memoryBytes(1L << 30).build()));
            try {
                assertThat(third.usage().memoryLimit()).as("raised above the spare's last limit").isEqualTo(1L << 30);
                assertThat(third.execute(ExecRequest.of("true")).exitCode()).isZero();
            } finally {
                third.destroy();
            }
            kept = ownSpares(provider);
            assertThat(kept).isNotEmpty();
        } finally {
            provider.close();
        }
        assertThat(ownSpares(provider)).as("close forgets them").isEmpty();
        assertThat(kept).as("and removes them").noneMatch(Files::exists);
    }

    @Test
    void atMostAFewAreKept() {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        try {
            List<ExecutionEnvironment> envs = Stream.generate(() -> provider.create(SandboxFixtures.spec()))
                    .limit(SpareCgroups.MAX + 2).toList();
            envs.forEach(ExecutionEnvironment::destroy);
            int hierarchies = provider.cgroups().parentDirectories().size();
            assertThat(ownSpares(provider)).hasSize(SpareCgroups.MAX * hierarchies);
        } finally {
            provider.close();
        }
    }

    @Test
    void sparesOfAManagerThatIsGoneAreRemovedAtStart() throws IOException {
        SandboxProvider provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        List<Path> leftovers = provider.cgroups().parentDirectories().stream()
                .map(parent -> parent.resolve(SpareCgroups.PREFIX + deadPid() + "-1")).toList();
        for (Path leftover : leftovers) {
            Files.createDirectories(leftover);
        }
        SandboxProvider restarted = SandboxFixtures.usableProvider(stateDir, Map.of());
        try {
            assertThat(leftovers).noneMatch(Files::exists);
        } finally {
            restarted.close();
            provider.close();
        }
    }

    private static long deadPid() {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid--;
        }
        return pid;
    }

    /** This provider's spare cgroup directories that exist. */
    private static List<Path> ownSpares(SandboxProvider provider) {
        List<String> names = provider.spares().names();
        assertThat(names).allMatch(n -> n.startsWith(SpareCgroups.PREFIX + ProcessHandle.current().pid() + "-"));
        return provider.cgroups().parentDirectories().stream()
                .flatMap(parent -> names.stream().map(parent::resolve)).filter(Files::isDirectory).toList();
    }
}
