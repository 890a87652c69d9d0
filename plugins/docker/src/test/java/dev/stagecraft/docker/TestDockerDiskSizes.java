package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ulimit;
import dev.stagecraft.api.Settings;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a disk size asks of the Engine (ContainerCreation.hostConfig); no Engine needed. */
class TestDockerDiskSizes {
    private static final DockerSettings DEFAULTS = DockerSettings.from(Settings.empty("providers.docker"));

    private static HostConfig host(DockerSettings s, long disk) {
        return ContainerCreation.hostConfig(s, "runc", new ContainerCreation.Sizes(256L << 20, 1, disk), "v", Map.of(),
                Optional.empty(), false, "default");
    }

    private static long fsize(HostConfig host) {
        for (Ulimit u : host.getUlimits()) {
            if (u.getName().equals("fsize")) {
                return u.getHardLong();
            }
        }
        throw new AssertionError("no fsize ulimit");
    }

    @Test
    void aDiskSizeCapsTheWorkspaceVolumeTmpShmAndTheFileSize() {
        HostConfig host = host(DEFAULTS, 50L << 20);
        assertThat(host.getMounts()).singleElement().satisfies(m -> {
            assertThat(m.getTarget()).isEqualTo("/workspace");
            assertThat(m.getVolumeOptions().getDriverConfig().getOptions()).containsExactly(Map.entry("size", String.valueOf(50L << 20)));
        });
        assertThat(host.getTmpFs().get("/tmp")).as("smaller than the configured 100m").endsWith("size=" + (50L << 20));
        assertThat(host.getShmSize()).isEqualTo(50L << 20);
        assertThat(fsize(host)).isEqualTo(50L << 20);
        assertThat(host.getStorageOpt()).as("the root is read-only: no writable layer to size").isNull();
    }

    @Test
    void aDiskLargerThanTmpLeavesTmpAtItsConfiguredSize() {
        HostConfig host = host(DEFAULTS, 8L << 30);
        assertThat(host.getTmpFs().get("/tmp")).endsWith("size=" + DEFAULTS.tmpSizeBytes());
        assertThat(fsize(host)).as("a file may fill the disk").isEqualTo(8L << 30);
    }

    @Test
    void withoutADiskSizeNothingIsSizedBeyondTheSettings() {
        HostConfig host = host(DEFAULTS, 0);
        assertThat(host.getMounts().get(0).getVolumeOptions().getDriverConfig().getOptions()).isNullOrEmpty();
        assertThat(host.getTmpFs().get("/tmp")).endsWith("size=" + DEFAULTS.tmpSizeBytes());
        assertThat(fsize(host)).isEqualTo(DEFAULTS.fileSizeBytes());
    }

    @Test
    void aWritableRootGetsItsLayerSized() {
        DockerSettings writable = DockerSettings.from(new Settings("test", "providers.docker", Map.of("read-only-root", false)));
        assertThat(host(writable, 1L << 30).getStorageOpt()).containsExactly(Map.entry("size", String.valueOf(1L << 30)));
    }
}
