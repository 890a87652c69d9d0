package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.ModuleDescriptors;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** module-info's {@code provides} and META-INF/services name the provider; it needs only what it uses. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFileAndRequiresOnlyWhatItUses() throws Exception {
        ModuleDescriptor descriptor = ModuleDescriptors.assertProvides(LambdaProvider.class);
        assertThat(ModuleDescriptors.requires(descriptor)).as("the api and the SDK's modules, no Netty, no Apache client")
                .containsExactlyInAnyOrder("java.base", "dev.stagecraft.api", "software.amazon.awssdk.services.lambda",
                        "software.amazon.awssdk.http", "software.amazon.awssdk.http.urlconnection",
                        "software.amazon.awssdk.core", "software.amazon.awssdk.awscore", "software.amazon.awssdk.regions",
                        "software.amazon.awssdk.auth", "software.amazon.awssdk.profiles",
                        "software.amazon.awssdk.protocols.jsoncore");
        assertThat(descriptor.exports()).as("nothing is exported").isEmpty();
    }
}
