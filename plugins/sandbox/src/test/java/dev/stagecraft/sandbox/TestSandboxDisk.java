package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Termination;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A requirement's disk size holds: the workspace and home live on a disk image of that size, /tmp is no larger, no
 * file may outgrow it, and the host's disk is never what fills up.
 */
class TestSandboxDisk {
    private static final long MIB = 1L << 20;

    @TempDir
    Path stateDir;
    private SandboxProvider provider;
    private ExecutionEnvironment env;

    @BeforeEach
    void sized() {
        provider = SandboxFixtures.usableProvider(stateDir, Map.of());
        String missing = DiskVolume.missing();
        if (missing != null) {
            BackendRequirement.missing(missing);
        }
        env = provider.create(SandboxFixtures.spec(EnvironmentRequirement.builder().diskBytes(32 * MIB).build()));
    }

    @AfterEach
    void destroy() {
        SandboxFixtures.destroyAndClose(env, provider);
    }

    private ExecResult sh(String script) {
        return SandboxFixtures.sh(env, Duration.ofSeconds(60), script);
    }

    @Test
    void theWorkspaceAndHomeShareADiskOfThatSize() {
        assertThat(provider.describe().diskLimit()).isTrue();
        ExecResult fill = sh("i=0; while dd if=/dev/zero of=f$i bs=1M count=4 2>/dev/null; do i=$((i+1)); done;"
                + " dd if=/dev/zero of=$HOME/more bs=1M count=4; echo $i; du -sk /workspace | cut -f1");
        assertThat(fill.stderrText()).contains("No space left on device");
        String[] out = fill.stdoutText().trim().split("\n");
        assertThat(Long.parseLong(out[1]) * 1024).as("bytes in the workspace").isLessThanOrEqualTo(32 * MIB).isGreaterThan(16 * MIB);
        assertThat(sh("echo still serving").stdoutText()).isEqualTo("still serving\n");
        assertThat(sh("rm -f f*; echo after > kept && cat kept").stdoutText()).isEqualTo("after\n");
    }

    @Test
    void noFileMayOutgrowTheDiskAndTheLimitIsNamed() {
        ExecResult big = sh("head -c 40000000 /dev/zero > /tmp/../workspace/big");
        assertThat(big.termination()).isIn(Termination.LIMIT_KILLED, Termination.EXITED);
        if (big.termination() == Termination.LIMIT_KILLED) {
            assertThat(big.detail()).contains("file size limit 32m").contains("the environment's disk size");
        } else {
            assertThat(big.stderrText()).contains("No space left on device");
        }
        assertThat(sh("ulimit -f").stdoutText().trim()).isEqualTo(Long.toString(32 * MIB / 512));
    }

    @Test
    void tmpIsNoLargerThanTheDisk() {
        assertThat(sh("df -k /tmp | tail -n 1").stdoutText()).contains(Long.toString(32 * 1024));
    }

    @Test
    void filesPutFromOutsideAreHeldToItToo() {
        env.putFile("a", new byte[(int) (8 * MIB)]);
        assertThatThrownBy(() -> env.putFile("b", new byte[(int) (40 * MIB)])).hasMessageContaining("No space left");
        assertThat(env.getFile("a", 16 * MIB)).hasSize((int) (8 * MIB));
    }

    @Test
    void destroyUnmountsAndRemovesTheImage() throws Exception {
        Path dir = provider.envsDir().resolve(env.id());
        assertThat(dir.resolve(DiskVolume.IMAGE)).exists();
        env.destroy();
        assertThat(dir).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
        env = null;
    }

    @Test
    void aTooSmallDiskIsOneLine() {
        assertThatThrownBy(() -> provider.create(SandboxFixtures.spec(EnvironmentRequirement.builder().diskBytes(MIB).build())))
                .hasMessageContaining("a disk of 1m is too small (at least 8m)");
    }
}
