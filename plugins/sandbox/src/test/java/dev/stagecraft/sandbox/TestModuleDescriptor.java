package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the provider; it needs only what it uses. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(SandboxProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor))
                .as("the api, and jnr-ffi (with the ASM it generates bindings with) to call libseccomp and libc")
                .containsExactlyInAnyOrder("dev.stagecraft.api", "org.jnrproject.ffi", "org.objectweb.asm",
                        "org.objectweb.asm.commons", "org.objectweb.asm.tree", "org.objectweb.asm.tree.analysis",
                        "org.objectweb.asm.util", "java.base");
        assertThat(descriptor.exports()).as("only the libseccomp and libc bindings, for jnr-ffi's generated classes")
                .allSatisfy(e -> assertThat(e.isQualified()).isFalse())
                .extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("dev.stagecraft.sandbox.libseccomp", "dev.stagecraft.sandbox.libc");
    }
}
