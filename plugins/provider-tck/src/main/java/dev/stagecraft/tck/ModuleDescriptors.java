package dev.stagecraft.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks of a provider's compiled {@code module-info}: a provider is found through {@code provides} on the module
 * path and through {@code META-INF/services} on the class path and in a PF4J plugin, and both must name it.
 */
public final class ModuleDescriptors {
    private ModuleDescriptors() {
    }

    /**
     * Asserts that the module-info next to {@code provider} and its service file name exactly {@code provider} as
     * the {@link EnvironmentProvider}, and returns the descriptor for further checks.
     */
    public static ModuleDescriptor assertProvides(Class<? extends EnvironmentProvider> provider)
            throws IOException, URISyntaxException {
        Path classes = Path.of(provider.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        List<String> fromModule = descriptor.provides().stream()
                .filter(p -> p.service().equals(EnvironmentProvider.class.getName()))
                .flatMap(p -> p.providers().stream()).toList();
        String serviceFile;
        try (InputStream in = provider.getResourceAsStream("/META-INF/services/" + EnvironmentProvider.class.getName())) {
            assertThat(in).as("META-INF/services/" + EnvironmentProvider.class.getName()).isNotNull();
            serviceFile = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> fromServices = serviceFile.lines().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(fromModule).containsExactlyElementsOf(fromServices).containsExactly(provider.getName());
        return descriptor;
    }

    /** The names of the modules {@code descriptor} requires (java.base included). */
    public static Set<String> requires(ModuleDescriptor descriptor) {
        return descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
    }
}
