package dev.stagecraft.docker;

import dev.stagecraft.api.EnvironmentProvider;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** module-info's {@code provides} (module path) and META-INF/services (class path, PF4J) must name the same class. */
class TestModuleDescriptor {
    @Test
    void providesAgreesWithServiceFile() throws Exception {
        ModuleDescriptor descriptor;
        Path classes = Path.of(DockerProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        List<String> fromModule = descriptor.provides().stream()
                .filter(p -> p.service().equals(EnvironmentProvider.class.getName()))
                .flatMap(p -> p.providers().stream()).toList();
        String serviceFile;
        try (InputStream in = DockerProvider.class.getResourceAsStream("/META-INF/services/" + EnvironmentProvider.class.getName())) {
            serviceFile = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> fromServices = serviceFile.lines().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(fromModule).containsExactlyElementsOf(fromServices).containsExactly(DockerProvider.class.getName());
        assertThat(descriptor.requires().stream().map(ModuleDescriptor.Requires::name))
                .as("the api, docker-java, jackson and commons-compress").containsExactlyInAnyOrderElementsOf(Set.of(
                        "java.base", "dev.stagecraft.api", "com.github.dockerjava.api", "com.github.dockerjava.core",
                        "com.github.dockerjava.transport", "com.github.dockerjava.transport.zerodep",
                        "com.fasterxml.jackson.databind", "org.apache.commons.compress"));
        assertThat(descriptor.exports()).as("nothing is exported").isEmpty();
    }
}
