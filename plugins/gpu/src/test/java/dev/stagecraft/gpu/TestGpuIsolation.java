package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.sandbox.SandboxProvider;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a gpu environment is shown: its own GPU's node and the control and unified-memory nodes, never another GPU's
 * (two on the fake host); a MIG instance's two capability nodes; the driver root read-only; the sandbox's hardening.
 */
class TestGpuIsolation {
    @TempDir
    Path stateDir;
    @TempDir
    Path hostDir;

    private GpuProvider provider;

    @BeforeEach
    void provider() {
        provider = GpuFixtures.provider(stateDir, GpuFixtures.host(hostDir, 2));
        BackendRequirement.require(provider);
    }

    @AfterEach
    void close() {
        provider.discover().forEach(ExecutionEnvironment::destroy);
        provider.close();
    }

    private static ExecResult sh(ExecutionEnvironment env, String script) {
        return env.execute(ExecRequest.of("sh", "-c", script));
    }

    @Test
    void seesOnlyItsOwnGpu() {
        ExecutionEnvironment first = provider.create(GpuFixtures.spec(1));
        ExecutionEnvironment second = provider.create(GpuFixtures.spec(1));
        assertThat(sh(first, "ls /dev | grep nvidia").stdoutText())
                .isEqualTo("nvidia-uvm\nnvidia-uvm-tools\nnvidia0\nnvidiactl\n");
        assertThat(sh(second, "ls /dev | grep nvidia").stdoutText())
                .isEqualTo("nvidia-uvm\nnvidia-uvm-tools\nnvidia1\nnvidiactl\n");
        ExecResult stat = sh(second, "stat -c '%F %t:%T' /dev/nvidia1 /dev/nvidiactl; ls -d /dev/nvidia-caps 2>/dev/null || echo no-caps; id -u");
        assertThat(stat.stdoutText()).isEqualTo("character special file c3:1\ncharacter special file c3:ff\nno-caps\n1000\n");
        assertThat(sh(second, "echo $CUDA_VISIBLE_DEVICES").stdoutText()).isEqualTo(FakeNvml.uuid(1) + "\n");
    }

    @Test
    void aSandboxWithoutGpusSeesNoNvidiaNode() {
        SandboxProvider sandbox = new SandboxProvider();
        sandbox.initialize(new ProviderContext("test", stateDir.resolve("sandbox"), Settings.empty("providers.sandbox")));
        ExecutionEnvironment env = sandbox.create(GpuFixtures.spec(0));
        try {
            assertThat(sh(env, "ls /dev; echo ${CUDA_VISIBLE_DEVICES:-none}").stdoutText()).doesNotContain("nvidia").endsWith("none\n");
        } finally {
            env.destroy();
            sandbox.close();
        }
    }

    @Test
    void aMigInstanceGetsItsCapabilityNodesAndNoOther() {
        provider.close();
        provider = GpuFixtures.provider(stateDir, GpuFixtures.host(hostDir.resolve("mig"), FakeNvml.resource("fake-nvml/h200-mig.data"), 1));
        ExecutionEnvironment first = provider.create(GpuFixtures.spec(1));
        ExecutionEnvironment second = provider.create(GpuFixtures.spec(1));
        // gpu0/gi7 access 3, gi7/ci0 4; gi8 5, gi8/ci0 6 (FakeDevices.migMinors)
        assertThat(sh(first, "ls /dev/nvidia-caps").stdoutText()).isEqualTo("nvidia-cap3\nnvidia-cap4\n");
        assertThat(sh(second, "ls /dev/nvidia-caps; ls /dev | grep -c '^nvidia[0-9]'").stdoutText())
                .isEqualTo("nvidia-cap5\nnvidia-cap6\n1\n");
        assertThat(sh(second, "echo $CUDA_VISIBLE_DEVICES").stdoutText()).startsWith("MIG-").endsWith("0001\n");
    }

    @Test
    void driverRootIsReadOnlyAndOnTheLibraryPath() throws Exception {
        Path driver = hostDir.resolve("driver");
        Files.writeString(driver.resolve("lib64/libcuda.so.1"), "not really");
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(1));
        ExecResult result = sh(env, "cat " + driver + "/lib64/libcuda.so.1; echo; echo $LD_LIBRARY_PATH; "
                + "touch " + driver + "/lib64/x 2>&1 || echo refused");
        assertThat(result.stdoutText()).startsWith("not really\n" + driver + "/lib64:" + driver + "/lib\n").endsWith("refused\n");
    }

    @Test
    void keepsTheSandboxHardening() {
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(1));
        ExecResult result = sh(env, "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status");
        assertThat(result.stdoutText()).contains("CapEff:\t0000000000000000").contains("NoNewPrivs:\t1").contains("Seccomp:\t2");
    }

    @Test
    void aVanishedDeviceNodeFailsTheCommandInOneLine() throws Exception {
        ExecutionEnvironment env = provider.create(GpuFixtures.spec(1));
        Files.delete(hostDir.resolve("dev/nvidia0"));
        assertThatThrownBy(() -> sh(env, "true")).isInstanceOf(StagecraftException.class)
                .hasMessage("gpu environment '" + env.id() + "': its device node " + hostDir.resolve("dev/nvidia0")
                        + " is gone (the GPU vanished or the driver was unloaded); destroy the environment");
        env.destroy();
        assertThat(GpuFixtures.allocations(stateDir).resolve(FakeNvml.uuid(0))).doesNotExist();
    }

    @Test
    void asksForMoreGpusThanTheHostHasInOneLine() {
        assertThatThrownBy(() -> provider.create(GpuFixtures.spec(3))).hasMessageMatching(
                "gpu '[^']+': gpu: 3 GPU\\(s\\) asked, 2 of 2 free: \\S+ free; \\S+ free").hasMessageNotContaining("\n");
        assertThat(provider.discover()).isEmpty();
    }
}
