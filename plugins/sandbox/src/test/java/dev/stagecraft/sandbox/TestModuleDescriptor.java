package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.sandbox.kind.SandboxKind;
import dev.stagecraft.tck.ModuleDescriptors;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The launcher library's module-info needs only what it uses and provides the sandbox kind on the module path only
 * (it has no service file, so a plugin zip bundling it offers no kind of its own); the plugin's service file names
 * the plugin's own class.
 */
class TestModuleDescriptor {
    @Test
    void launcherRequiresOnlyWhatItUsesAndProvidesTheKindOnTheModulePathOnly() throws Exception {
        Path launcher = Path.of(SandboxProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(inside(launcher, "module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        assertThat(inside(launcher, "META-INF/services/" + EnvironmentProvider.class.getName()))
                .as("the launcher's own service file (none)").doesNotExist();
        assertThat(ModuleDescriptors.requires(descriptor))
                .as("the api, and jnr-ffi (with the ASM it generates bindings with) to call libseccomp and libc")
                .containsExactlyInAnyOrder("dev.stagecraft.api", "org.jnrproject.ffi", "org.objectweb.asm",
                        "org.objectweb.asm.commons", "org.objectweb.asm.tree", "org.objectweb.asm.tree.analysis",
                        "org.objectweb.asm.util", "java.base");
        assertThat(descriptor.exports()).as("the engine's package, and the bindings for jnr-ffi's generated classes")
                .allSatisfy(e -> assertThat(e.isQualified()).isFalse())
                .extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("dev.stagecraft.sandbox", "dev.stagecraft.sandbox.libseccomp",
                        "dev.stagecraft.sandbox.libc");
        assertThat(descriptor.provides()).singleElement().satisfies(p -> {
            assertThat(p.service()).isEqualTo(EnvironmentProvider.class.getName());
            assertThat(p.providers()).containsExactly(SandboxProvider.class.getName());
        });
    }

    /** {@code name} in the launcher's classes folder or jar. */
    private static Path inside(Path location, String name) throws java.io.IOException {
        if (Files.isDirectory(location)) {
            return location.resolve(name);
        }
        return java.nio.file.FileSystems.newFileSystem(location).getPath(name);
    }

    @Test
    void pluginServiceFileNamesThePluginsOwnClass() throws Exception {
        try (InputStream in = SandboxKind.class.getResourceAsStream("/META-INF/services/" + EnvironmentProvider.class.getName())) {
            assertThat(in).isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim()).isEqualTo(SandboxKind.class.getName());
        }
        assertThat(new SandboxKind().kind()).isEqualTo("sandbox");
    }
}
