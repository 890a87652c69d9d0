package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the provider; it needs only what it uses. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(KvmProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor)).as("the api, java.xml for domain XML, libvirt-java, JNA, Jackson")
                .containsExactlyInAnyOrder("java.base", "dev.stagecraft.api", "java.xml", "libvirt", "com.sun.jna",
                        "com.fasterxml.jackson.databind");
        assertThat(descriptor.exports()).as("nothing is exported").isEmpty();
    }
}
