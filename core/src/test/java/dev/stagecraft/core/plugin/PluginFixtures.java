package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds real third-party plugins at test time: Java source compiled with the system compiler against the
 * api alone, packed as a PF4J jar (descriptor in the manifest) or zip ({@code classes/} + {@code lib/}).
 */
final class PluginFixtures {
    private PluginFixtures() {
    }

    /** Where the api's classes are on the test class path (its jar, or api/target/classes in a reactor build). */
    static Path apiLocation() {
        try {
            return Path.of(EnvironmentProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A provider that never pretends to be an environment kind: its probe reports "unavailable" and, in its
     * details, what its own class loader can see; create throws UNSUPPORTED_OPERATION.
     */
    static String providerSource(String packageName, String className, String kind) {
        return """
                package %1$s;

                import dev.stagecraft.api.EnvironmentProvider;
                import dev.stagecraft.api.EnvironmentSpec;
                import dev.stagecraft.api.ErrorCode;
                import dev.stagecraft.api.ExecutionEnvironment;
                import dev.stagecraft.api.IsolationLevel;
                import dev.stagecraft.api.ProviderCapabilities;
                import dev.stagecraft.api.ProviderHealth;
                import dev.stagecraft.api.Resources;
                import dev.stagecraft.api.StagecraftException;

                import java.time.Duration;
                import java.util.EnumSet;
                import java.util.List;
                import java.util.Map;
                import java.util.TreeMap;

                public final class %2$s implements EnvironmentProvider {
                    @Override
                    public String kind() {
                        return "%3$s";
                    }

                    @Override
                    public ProviderCapabilities describe() {
                        return new ProviderCapabilities(kind(), EnumSet.of(IsolationLevel.PROCESS), Duration.ZERO, 0, 0,
                                false, false, false, Resources.NONE);
                    }

                    @Override
                    public ProviderHealth probe() {
                        Map<String, String> seen = new TreeMap<>();
                        seen.put("core", visible("dev.stagecraft.core.Stagecraft"));
                        seen.put("core-plugin", visible("dev.stagecraft.core.plugin.ProviderLoader"));
                        seen.put("api", visible("dev.stagecraft.api.Labels"));
                        seen.put("jackson", visible("com.fasterxml.jackson.databind.ObjectMapper"));
                        seen.put("guice", visible("com.google.inject.Guice"));
                        seen.put("test", visible("dev.stagecraft.core.plugin.TestProviderLoader"));
                        seen.put("jdk", visible("java.net.http.HttpClient"));
                        seen.put("tccl", Thread.currentThread().getContextClassLoader() == getClass().getClassLoader()
                                ? "own" : "other");
                        try {
                            seen.put("lib", String.valueOf(Class.forName("org.example.lib.Helper", true,
                                    getClass().getClassLoader()).getField("NAME").get(null)));
                        } catch (ReflectiveOperationException e) {
                            seen.put("lib", "absent");
                        }
                        return ProviderHealth.unavailable("%3$s only probes; it creates no environments",
                                List.of("use another provider"), seen);
                    }

                    private String visible(String name) {
                        try {
                            Class.forName(name, false, getClass().getClassLoader());
                            return "visible";
                        } catch (ClassNotFoundException | LinkageError e) {
                            return "hidden";
                        }
                    }

                    @Override
                    public ExecutionEnvironment create(EnvironmentSpec spec) {
                        throw new StagecraftException(ErrorCode.UNSUPPORTED_OPERATION, "%3$s creates no environments");
                    }

                    @Override
                    public List<ExecutionEnvironment> discover() {
                        return List.of();
                    }
                }
                """.formatted(packageName, className, kind);
    }

    static final String HELPER_SOURCE = """
            package org.example.lib;

            public final class Helper {
                public static final String NAME = "helper from lib";
            }
            """;

    /** Compiles {@code sources} (class name → source) into {@code out} against the api and {@code extra}. */
    static Path compile(Path work, Map<String, String> sources, List<Path> extra) throws IOException {
        Path src = Files.createDirectories(work.resolve("src"));
        Path out = Files.createDirectories(work.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-d", out.toString()));
        StringBuilder classPath = new StringBuilder(apiLocation().toString());
        extra.forEach(p -> classPath.append(java.io.File.pathSeparator).append(p));
        args.add("-classpath");
        args.add(classPath.toString());
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            args.add(file.toString());
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new IllegalStateException("no system Java compiler: the tests need a JDK, not a JRE");
        }
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = compiler.run(null, errors, errors, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("compilation failed:\n" + errors.toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    static Manifest manifest(String id, String version, String requires) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (id != null) {
            main.putValue("Plugin-Id", id);
            main.putValue("Plugin-Version", version);
            main.putValue("Plugin-Requires", requires);
            main.putValue("Plugin-Provider", "Example Corp");
        }
        return manifest;
    }

    static void writeService(Path classes, String providerClass) throws IOException {
        Path services = Files.createDirectories(classes.resolve("META-INF/services"));
        Files.writeString(services.resolve(EnvironmentProvider.class.getName()), providerClass + "\n");
    }

    /** A jar of {@code classes} with {@code manifest}. */
    static Path jar(Path classes, Manifest manifest, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (OutputStream file = Files.newOutputStream(target);
             JarOutputStream jar = manifest == null ? new JarOutputStream(file) : new JarOutputStream(file, manifest)) {
            addTree(classes, "", jar, manifest != null);
        }
        return target;
    }

    /** PF4J's zip layout: {@code classes/} (with META-INF/MANIFEST.MF) and {@code lib/*.jar}. */
    static Path zip(Path classes, Manifest manifest, List<Path> libs, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(target))) {
            zip.putNextEntry(new ZipEntry("classes/META-INF/MANIFEST.MF"));
            manifest.write(zip);
            zip.closeEntry();
            addTree(classes, "classes/", zip, true);
            for (Path lib : libs) {
                zip.putNextEntry(new ZipEntry("lib/" + lib.getFileName()));
                Files.copy(lib, zip);
                zip.closeEntry();
            }
        }
        return target;
    }

    /** A zip holding the given raw entries (name → bytes), for hostile layouts. */
    static Path rawZip(Map<String, byte[]> entries, Path target) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(target))) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return target;
    }

    /** The api as a jar, whether the test class path holds a jar or a classes folder. */
    static Path apiJar(Path work) throws IOException {
        Path api = apiLocation();
        if (Files.isRegularFile(api)) {
            return api;
        }
        return jar(api, null, work.resolve("stagecraft-api-copy.jar"));
    }

    private static void addTree(Path root, String prefix, ZipOutputStream out, boolean skipManifest) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = prefix + root.relativize(path).toString().replace('\\', '/');
                if (skipManifest && name.endsWith("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new ZipEntry(name));
                Files.copy(path, out);
                out.closeEntry();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
