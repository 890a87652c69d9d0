package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the provider; it needs only what it uses. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(KubernetesProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor)).as("the api, fabric8's client and models, jackson")
                .containsExactlyInAnyOrder("java.base", "dev.stagecraft.api", "kubernetes.client.api", "kubernetes.model.core",
                        "kubernetes.model.common", "kubernetes.model.networking", "kubernetes.model.node",
                        "kubernetes.model.admissionregistration", "com.fasterxml.jackson.databind", "com.fasterxml.jackson.core");
        assertThat(descriptor.exports()).as("nothing is exported").isEmpty();
    }
}
