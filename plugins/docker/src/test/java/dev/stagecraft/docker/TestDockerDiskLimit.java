package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProvisioningException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * --disk on the real Engine: held where the Engine can size the workspace volume (Docker's data root on xfs with
 * pquota), else reported and refused with the Engine's own words. Which of the two is this Engine's answer, not the
 * test's choice: both paths assert what the provider then does.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestDockerDiskLimit extends DockerProviderTest {
    private static final long DISK = 32L << 20;

    private static ExecResult sh(ExecutionEnvironment env, String script) {
        return env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(60)).build());
    }

    @Test
    void aDiskSizeIsHeldOrRefusedWithTheEnginesReason() {
        String disk = provider.probe().details().get("disk");
        EnvironmentSpec spec = DockerFixtures.spec(EnvironmentRequirement.builder().diskBytes(DISK).build(), IsolationLevel.CONTAINER);
        if (!provider.describe().diskLimit()) {
            assertThat(disk).startsWith("not enforced, so requirements with a disk size go elsewhere: ")
                    .contains("xfs mounted with pquota");
            Throwable refused = catchThrowable(() -> made.add(provider.create(spec)));
            assertThat(refused).isInstanceOf(ProvisioningException.class);
            assertThat(refused.getMessage()).doesNotContain("\n")
                    .startsWith("environment '" + spec.id() + "': a disk size of 32m was asked for, but this Docker Engine cannot hold it: ")
                    .contains("xfs mounted with pquota");
            assertThat(DockerFixtures.client(provider).listContainersCmd().withShowAll(true)
                    .withNameFilter(List.of(DockerEnvironment.containerName(spec.id()))).exec()).isEmpty();
            assertThat(DockerFixtures.client(provider).listVolumesCmd().exec().getVolumes())
                    .as("the trial volume is not left behind").noneMatch(v -> v.getName().equals(DiskQuota.TRIAL_VOLUME));
            return;
        }
        assertThat(disk).startsWith("the workspace volume, /tmp, /dev/shm");
        ExecutionEnvironment env = provider.create(spec);
        made.add(env);
        ExecResult full = sh(env, "dd if=/dev/zero of=/workspace/big bs=1M count=64");
        assertThat(full.exitCode()).isNotZero();
        assertThat(full.stderrText()).contains("No space left on device");
        assertThat(sh(env, "df -k /tmp | tail -1").stdoutText().trim().split("\\s+")[1]).as("/tmp follows the smaller disk")
                .isEqualTo(String.valueOf(DISK >> 10));
        assertThat(sh(env, "rm /workspace/big && echo still serving > /workspace/after && cat /workspace/after").stdoutText())
                .isEqualTo("still serving\n");
    }
}
