package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.gpu.nvml.Inventory;
import dev.stagecraft.gpu.nvml.Nvml;
import dev.stagecraft.gpu.nvml.NvmlException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jnr-ffi binding against the fake NVML answering from the real H200 capture and its MIG variant. */
class TestNvmlBinding {
    @TempDir
    Path dir;

    @Test
    void readsTheCapturedH200() {
        FakeNvml fake = FakeNvml.install(dir, "h200.data");
        Inventory inventory = Nvml.load(fake.library().toString()).inventory();
        assertThat(inventory.driverVersion()).isEqualTo("580.159.04");
        assertThat(inventory.nvmlVersion()).isEqualTo("13.580.159.04");
        assertThat(inventory.cudaVersion()).isEqualTo(13000);
        assertThat(inventory.cudaText()).isEqualTo("13.0");
        assertThat(inventory.gpus()).singleElement().satisfies(gpu -> {
            assertThat(gpu.index()).isZero();
            assertThat(gpu.minor()).isZero();
            assertThat(gpu.uuid()).isEqualTo(FakeNvml.H200_UUID);
            assertThat(gpu.name()).isEqualTo("NVIDIA H200");
            assertThat(gpu.memoryBytes()).isEqualTo(150_754_820_096L);
            assertThat(gpu.memoryBytes() >> 20).as("nvidia-smi's memory.total").isEqualTo(143_771);
            assertThat(gpu.usedBytes()).isEqualTo(644_939_776L);
            assertThat(gpu.computeCapability()).isEqualTo("9.0");
            assertThat(gpu.migEnabled()).isFalse();
            assertThat(gpu.migDevices()).isEmpty();
        });
        assertThat(GpuSlot.of(inventory)).extracting(GpuSlot::uuid).containsExactly(FakeNvml.H200_UUID);
    }

    @Test
    void readsMigInstancesAndMakesThemTheSlots() {
        FakeNvml fake = FakeNvml.install(dir, "h200-mig.data");
        Inventory inventory = Nvml.load(fake.library().toString()).inventory();
        Inventory.Gpu gpu = inventory.gpus().get(0);
        assertThat(gpu.migEnabled()).isTrue();
        assertThat(gpu.migDevices()).hasSize(7).allSatisfy(mig -> {
            assertThat(mig.name()).isEqualTo("NVIDIA H200 MIG 1g.18gb");
            assertThat(mig.uuid()).startsWith("MIG-");
            assertThat(mig.computeInstance()).isZero();
        });
        assertThat(gpu.migDevices()).extracting(Inventory.MigDevice::gpuInstance).containsExactly(7, 8, 9, 10, 11, 12, 13);
        List<GpuSlot> slots = GpuSlot.of(inventory);
        assertThat(slots).hasSize(7).allMatch(GpuSlot::mig).noneMatch(s -> s.uuid().equals(FakeNvml.H200_UUID));
        assertThat(GpuSlot.fromLabel(GpuSlot.label(slots))).extracting(GpuSlot::label)
                .containsExactlyElementsOf(slots.stream().map(GpuSlot::label).toList());
    }

    @Test
    void readsRunningProcessesAndUtilisation() {
        FakeNvml fake = FakeNvml.install(dir, "h200.data");
        fake.data(FakeNvml.resource("fake-nvml/h200.data").replace(" 0 0 9 0 0 0 ", " 37 12 9 0 0 0 "));
        fake.processes(List.of(FakeNvml.H200_UUID + " 4242 1073741824", FakeNvml.H200_UUID + " 4243 2048",
                "GPU-other 99 5"));
        Nvml nvml = Nvml.load(fake.library().toString());
        assertThat(nvml.processes(FakeNvml.H200_UUID)).containsExactly(new Inventory.ComputeProcess(4242, 1L << 30),
                new Inventory.ComputeProcess(4243, 2048));
        assertThat(nvml.utilisation(FakeNvml.H200_UUID)).isEqualTo(37);
    }

    @Test
    void migInstancesHaveNoUtilisation() {
        FakeNvml fake = FakeNvml.install(dir, "h200-mig.data");
        Nvml nvml = Nvml.load(fake.library().toString());
        String mig = nvml.inventory().gpus().get(0).migDevices().get(0).uuid();
        assertThat(nvml.utilisation(mig)).isEqualTo(-1);
        assertThat(nvml.processes(mig)).isEmpty();
    }

    @Test
    void missingLibraryIsOneLine() {
        assertThatThrownBy(() -> Nvml.load(dir.resolve("libnvidia-ml.so.1").toString()))
                .isInstanceOf(NvmlException.class)
                .hasMessage("NVML not found: " + dir.resolve("libnvidia-ml.so.1") + " does not exist (install the NVIDIA"
                        + " driver, or point providers.gpu.nvml-library at its libnvidia-ml.so.1)");
        assertThatThrownBy(() -> Nvml.load("libnvidia-ml-absent.so.9")).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("NVML (libnvidia-ml-absent.so.9) cannot be loaded: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aLibraryThatIsNotNvmlIsOneLine() {
        assertThatThrownBy(() -> Nvml.load("libseccomp.so.2")).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("NVML (libseccomp.so.2) cannot be loaded: ").hasMessageNotContaining("\n");
    }

    @Test
    void driverLibraryMismatchSaysWhatToDo() {
        FakeNvml fake = FakeNvml.install(dir, "h200.data");
        fake.data("init-error 18\n" + FakeNvml.resource("fake-nvml/h200.data"));
        assertThatThrownBy(() -> Nvml.load(fake.library().toString()).inventory()).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("NVML nvmlInit_v2 failed: RM has detected an NVML/RM version mismatch. (18); the"
                        + " driver's user-space libraries and its kernel module are of different versions")
                .hasMessageNotContaining("\n")
                .extracting(e -> ((NvmlException) e).code()).isEqualTo(NvmlException.LIB_RM_VERSION_MISMATCH);
    }

    @Test
    void aLostGpuIsNamed() {
        FakeNvml fake = FakeNvml.install(dir, "h200.data");
        fake.data(FakeNvml.resource("fake-nvml/h200.data").replace(" 9 0 0 0 NVIDIA", " 9 0 0 1 NVIDIA"));
        assertThatThrownBy(() -> Nvml.load(fake.library().toString()).inventory()).isInstanceOf(NvmlException.class)
                .hasMessageStartingWith("NVML nvmlDeviceGetHandleByIndex_v2(0) failed: GPU is lost (15); the GPU fell off the bus");
    }

    @Test
    void eachCallSeesTheHostAsItIsNow() {
        FakeNvml fake = FakeNvml.install(dir, "h200.data");
        Nvml nvml = Nvml.load(fake.library().toString());
        assertThat(nvml.inventory().gpus()).hasSize(1);
        fake.data(FakeNvml.gpus(3));
        assertThat(nvml.inventory().gpus()).extracting(Inventory.Gpu::uuid)
                .containsExactly(FakeNvml.uuid(0), FakeNvml.uuid(1), FakeNvml.uuid(2));
    }
}
