package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup file formats, against fake hierarchies (this build machine has v1 only, so v2 is proven here). */
class TestCgroupFiles {
    @TempDir
    Path root;

    @Test
    void pureV2IsDetectedAndLimitsAreWritten() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma\n");
        CgroupHierarchy hierarchy = CgroupHierarchy.detect(root, "stagecraft");
        assertThat(hierarchy.version()).isEqualTo("v2");
        assertThat(hierarchy.controllers()).containsExactly("memory", "pids", "cpu");
        assertThat(hierarchy.usable()).isTrue();

        EnvironmentCgroup cgroup = hierarchy.forEnvironment("env-1");
        Path dir = root.resolve("stagecraft/env-1");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("memory.swap.max"), "max");
        cgroup.create(new Limits(64L << 20, 0.5, 100));
        assertThat(Files.readString(root.resolve("cgroup.subtree_control"))).isEqualTo("+memory +pids +cpu");
        assertThat(Files.readString(root.resolve("stagecraft/cgroup.subtree_control"))).isEqualTo("+memory +pids +cpu");
        assertThat(Files.readString(dir.resolve("memory.max"))).isEqualTo(Long.toString(64L << 20));
        assertThat(Files.readString(dir.resolve("memory.swap.max"))).isEqualTo("0");
        assertThat(Files.readString(dir.resolve("pids.max"))).isEqualTo("100");
        assertThat(Files.readString(dir.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(cgroup.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));

        Files.writeString(dir.resolve("memory.current"), "12345\n");
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 2000\nuser_usec 1500\n");
        Files.writeString(dir.resolve("pids.current"), "3\n");
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
        Files.writeString(dir.resolve("pids.events"), "max 7\n");
        Files.writeString(dir.resolve("cgroup.procs"), "");
        assertThat(cgroup.memoryBytes()).isEqualTo(12345);
        assertThat(cgroup.cpuNanos()).isEqualTo(2_000_000);
        assertThat(cgroup.pidsCurrent()).isEqualTo(3);
        assertThat(cgroup.oomKills()).isEqualTo(1);
        assertThat(cgroup.pidsLimitHits()).isEqualTo(7);
        assertThat(cgroup.pids()).isEmpty();
    }

    @Test
    void v1WithAnEmptyUnifiedMountBesideItIsV1() throws IOException {
        for (String controller : CgroupHierarchy.V1_CONTROLLERS) {
            Files.createDirectories(root.resolve(controller));
            Files.writeString(root.resolve(controller).resolve("cgroup.procs"), "");
        }
        Files.createDirectories(root.resolve("unified"));
        Files.writeString(root.resolve("unified/cgroup.controllers"), "");
        CgroupHierarchy hierarchy = CgroupHierarchy.detect(root, "stagecraft");
        assertThat(hierarchy.version()).isEqualTo("v1");
        assertThat(hierarchy.controllers()).containsExactlyElementsOf(CgroupHierarchy.V1_CONTROLLERS);
        assertThat(hierarchy.forEnvironment("e").procsFiles())
                .contains(root.toRealPath().resolve("memory/stagecraft/e/cgroup.procs"));
    }

    @Test
    void nothingMountedIsUnusable() {
        CgroupHierarchy hierarchy = CgroupHierarchy.detect(root.resolve("missing"), "stagecraft");
        assertThat(hierarchy.version()).isEqualTo("none");
        assertThat(hierarchy.usable()).isFalse();
    }
}
