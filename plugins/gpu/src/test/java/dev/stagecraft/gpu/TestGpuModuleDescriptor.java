package dev.stagecraft.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the gpu provider; it needs the api, the launcher, jnr-ffi. */
class TestGpuModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(GpuProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor)).containsExactlyInAnyOrder("dev.stagecraft.api",
                "dev.stagecraft.sandbox", "org.jnrproject.ffi", "java.base");
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactly("dev.stagecraft.gpu.nvml");
    }
}
