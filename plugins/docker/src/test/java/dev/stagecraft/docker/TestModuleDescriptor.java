package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the provider; it needs only what it uses. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(DockerProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor)).as("the api, docker-java, jackson and commons-compress")
                .containsExactlyInAnyOrder("java.base", "dev.stagecraft.api", "com.github.dockerjava.api",
                        "com.github.dockerjava.core", "com.github.dockerjava.transport",
                        "com.github.dockerjava.transport.zerodep", "com.fasterxml.jackson.databind",
                        "org.apache.commons.compress");
        assertThat(descriptor.exports()).as("nothing is exported").isEmpty();
    }
}
