package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The driver's libraries from {@code ldconfig -p} (a Ubuntu 24.04 host's lines) or a configured driver root. */
class TestDriverLibraries {
    private static final String LDCONFIG = String.join("\n",
            "1234 libs found in cache `/etc/ld.so.cache'",
            "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
            "\tlibnvidia-ml.so.1 (libc6) => /usr/lib/i386-linux-gnu/libnvidia-ml.so.1",
            "\tlibcuda.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so.1",
            "\tlibnvidia-ptxjitcompiler.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ptxjitcompiler.so.1",
            "\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6",
            "\tlibnvidia-gpucomp.so.580.159.04 (libc6,x86-64) => /opt/nvidia/libnvidia-gpucomp.so.580.159.04",
            "");

    @Test
    void findsTheDriversSixtyFourBitLibrariesOnly() {
        assertThat(DriverLibraries.fromLdconfig(LDCONFIG)).containsExactly(
                Path.of("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"), Path.of("/usr/local/nvidia/lib64/libcuda.so.1"),
                Path.of("/usr/local/nvidia/lib64/libnvidia-ptxjitcompiler.so.1"),
                Path.of("/opt/nvidia/libnvidia-gpucomp.so.580.159.04"));
    }

    @Test
    void bindsThoseOutsideUsrAndPutsTheirFoldersOnTheLibraryPath() {
        DriverLibraries.Binding binding = DriverLibraries.outsideUsr(DriverLibraries.fromLdconfig(LDCONFIG));
        assertThat(binding.bwrapOptions()).containsExactly("--ro-bind", "/opt/nvidia/libnvidia-gpucomp.so.580.159.04",
                "/opt/nvidia/libnvidia-gpucomp.so.580.159.04");
        assertThat(binding.variables()).isEqualTo(Map.of("LD_LIBRARY_PATH", "/opt/nvidia"));
    }

    @Test
    void aDriverRootIsBoundWhole() {
        DriverLibraries.Binding binding = DriverLibraries.of(Path.of("/usr/local/nvidia"));
        assertThat(binding.bwrapOptions()).isEqualTo(List.of("--ro-bind", "/usr/local/nvidia", "/usr/local/nvidia"));
        assertThat(binding.variables()).containsEntry("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64:/usr/local/nvidia/lib");
    }
}
