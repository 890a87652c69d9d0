package dev.stagecraft.core.plugin;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.StagecraftException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loads real plugins, compiled and packed at test time, through the same loader the core uses. */
class TestProviderLoader {
    private static final String CORE_VERSION = "0.1.0";

    @TempDir
    Path work;

    private Path plugins() throws IOException {
        return Files.createDirectories(work.resolve("plugins"));
    }

    private Path cache() {
        return work.resolve("cache");
    }

    private ProviderLoader.Loaded load() throws IOException {
        return new ProviderLoader(CORE_VERSION, getClass().getClassLoader()).load(plugins(), cache());
    }

    /** Compiles a probe-only provider and packs it as {@code plugins/<file>}. */
    private Path probeJar(String file, String id, String requires, String kind, String className) throws IOException {
        Path build = Files.createDirectories(work.resolve("build-" + file));
        String fqcn = "org.example.probe." + className;
        Path classes = PluginFixtures.compile(build, Map.of(fqcn, PluginFixtures.providerSource("org.example.probe", className, kind)), List.of());
        PluginFixtures.writeService(classes, fqcn);
        return PluginFixtures.jar(classes, PluginFixtures.manifest(id, "1.2.3", requires), plugins().resolve(file));
    }

    private static ContextBoundProvider provider(ProviderLoader.Loaded loaded, String kind) {
        return loaded.providers().stream().filter(p -> p.kind().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("no provider of kind " + kind + " in " + loaded));
    }

    private static PluginStatus status(ProviderLoader.Loaded loaded, String file) {
        return loaded.plugins().stream().filter(s -> s.file().getFileName().toString().equals(file)).findFirst()
                .orElseThrow(() -> new AssertionError("no status for " + file + " in " + loaded.plugins()));
    }

    @Test
    void jarPluginLoadsInItsOwnClassLoader() throws Exception {
        Path jar = probeJar("probe-only-1.2.3.jar", "probe-only", ">=0.1.0", "probe-only", "ProbeOnlyProvider");
        ProviderLoader.Loaded loaded = load();

        PluginStatus status = status(loaded, "probe-only-1.2.3.jar");
        assertThat(status.loaded()).isTrue();
        assertThat(status.id()).isEqualTo("probe-only");
        assertThat(status.version()).isEqualTo("1.2.3");
        assertThat(status.kinds()).containsExactly("probe-only");
        assertThat(status.problem()).isEmpty();
        assertThat(status.file()).isEqualTo(jar);
        assertThat(loaded.problems()).noneMatch(p -> p.contains("probe-only"));

        ContextBoundProvider provider = provider(loaded, "probe-only");
        assertThat(provider.origin()).isEqualTo("plugin probe-only 1.2.3 (probe-only-1.2.3.jar)");
        assertThat(provider.implementationClass()).isEqualTo("org.example.probe.ProbeOnlyProvider");
        assertThat(provider.describe().kind()).isEqualTo("probe-only");
        assertThat(provider.describe().isolationLevels()).containsExactly(IsolationLevel.PROCESS);

        // plugin isolation: the implementation class is not ours, and not on the test's class loader
        Class<?> implementation = pluginClass(provider);
        assertThat(implementation.getClassLoader()).isNotSameAs(getClass().getClassLoader()).isNotNull();
        assertThatThrownBy(() -> Class.forName("org.example.probe.ProbeOnlyProvider", false, getClass().getClassLoader()))
                .isInstanceOf(ClassNotFoundException.class);
        // ... yet it implements the host's SPI type, not a copy of it
        assertThat(EnvironmentProvider.class.isAssignableFrom(implementation)).isTrue();

        ProviderHealth health = provider.probe();
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).isEqualTo("probe-only only probes; it creates no environments");
        assertThat(health.details())
                .containsEntry("api", "visible")
                .containsEntry("core", "hidden")
                .containsEntry("core-plugin", "hidden")
                .containsEntry("jackson", "hidden")
                .containsEntry("guice", "hidden")
                .containsEntry("test", "hidden")
                .containsEntry("jdk", "visible")
                .containsEntry("tccl", "own")
                .containsEntry("lib", "absent");

        EnvironmentSpec spec = new EnvironmentSpec("sc-probe", EnvironmentRequirement.builder().build(), IsolationLevel.PROCESS,
                Labels.of("local", "sc-probe", Instant.now(), Duration.ofMinutes(1)));
        assertThatThrownBy(() -> provider.create(spec)).isInstanceOfSatisfying(StagecraftException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_OPERATION));
        assertThat(provider.discover()).isEmpty();
        assertThat(Thread.currentThread().getContextClassLoader()).as("context loader restored after calls")
                .isSameAs(Thread.currentThread().getContextClassLoader());
    }

    @Test
    void contextClassLoaderIsRestoredAfterACall() throws Exception {
        probeJar("probe.jar", "probe", ">=0.1.0", "probe-only", "ProbeOnlyProvider");
        ContextBoundProvider provider = provider(load(), "probe-only");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        assertThat(provider.probe().details()).containsEntry("tccl", "own");
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
        assertThatThrownBy(() -> provider.create(null)).isNotNull();
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
    }

    @Test
    void zipPluginWithClassesAndLibLoads() throws Exception {
        Path libBuild = Files.createDirectories(work.resolve("build-lib"));
        Path libClasses = PluginFixtures.compile(libBuild, Map.of("org.example.lib.Helper", PluginFixtures.HELPER_SOURCE), List.of());
        Path libJar = PluginFixtures.jar(libClasses, null, work.resolve("helper-lib.jar"));

        Path build = Files.createDirectories(work.resolve("build-zip"));
        Path classes = PluginFixtures.compile(build, Map.of("org.example.zipped.ZippedProvider",
                PluginFixtures.providerSource("org.example.zipped", "ZippedProvider", "probe-zip")), List.of());
        PluginFixtures.writeService(classes, "org.example.zipped.ZippedProvider");
        PluginFixtures.zip(classes, PluginFixtures.manifest("probe-zip", "2.0.0", ">=0.1.0"), List.of(libJar),
                plugins().resolve("probe-zip-2.0.0.zip"));

        ProviderLoader.Loaded loaded = load();
        PluginStatus status = status(loaded, "probe-zip-2.0.0.zip");
        assertThat(status.loaded()).as(status.problem()).isTrue();
        assertThat(status.kinds()).containsExactly("probe-zip");
        ContextBoundProvider provider = provider(loaded, "probe-zip");
        assertThat(provider.probe().details())
                .containsEntry("lib", "helper from lib")
                .containsEntry("core", "hidden")
                .containsEntry("api", "visible");
        assertThat(pluginClass(provider).getClassLoader()).isNotSameAs(getClass().getClassLoader());
        assertThat(cache().resolve("probe-zip-2.0.0/lib/helper-lib.jar")).exists();
        assertThat(plugins().resolve("probe-zip-2.0.0")).as("nothing unpacked into the plugins folder").doesNotExist();
    }

    @Test
    void changedZipIsUnpackedAgain() throws Exception {
        Path build1 = Files.createDirectories(work.resolve("build-v1"));
        Path classes1 = PluginFixtures.compile(build1, Map.of("org.example.v.VProvider",
                PluginFixtures.providerSource("org.example.v", "VProvider", "probe-v1")), List.of());
        PluginFixtures.writeService(classes1, "org.example.v.VProvider");
        Path zip = PluginFixtures.zip(classes1, PluginFixtures.manifest("probe-v", "1.0.0", ">=0.1.0"), List.of(),
                plugins().resolve("probe-v.zip"));
        assertThat(load().providers()).extracting(EnvironmentProvider::kind).contains("probe-v1");

        Path build2 = Files.createDirectories(work.resolve("build-v2"));
        Path classes2 = PluginFixtures.compile(build2, Map.of("org.example.v.VProvider",
                PluginFixtures.providerSource("org.example.v", "VProvider", "probe-v2-renamed")), List.of());
        PluginFixtures.writeService(classes2, "org.example.v.VProvider");
        PluginFixtures.zip(classes2, PluginFixtures.manifest("probe-v", "1.0.1", ">=0.1.0"), List.of(), zip);
        Files.setLastModifiedTime(zip, FileTime.from(Instant.now().plusSeconds(5)));

        ProviderLoader.Loaded again = load();
        assertThat(again.providers()).extracting(EnvironmentProvider::kind).contains("probe-v2-renamed").doesNotContain("probe-v1");
        assertThat(status(again, "probe-v.zip").version()).isEqualTo("1.0.1");
    }

    @Test
    void badPluginsAreSkippedWithAProblemWhileTheGoodOneLoads() throws Exception {
        probeJar("good.jar", "good", ">=0.1.0", "probe-only", "ProbeOnlyProvider");
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        Files.write(plugins().resolve("x.jar"), noise);
        Path build = Files.createDirectories(work.resolve("build-nodesc"));
        Path classes = PluginFixtures.compile(build, Map.of("org.example.nodesc.NoDescriptor",
                PluginFixtures.providerSource("org.example.nodesc", "NoDescriptor", "no-descriptor")), List.of());
        PluginFixtures.writeService(classes, "org.example.nodesc.NoDescriptor");
        PluginFixtures.jar(classes, PluginFixtures.manifest(null, null, null), plugins().resolve("no-descriptor.jar"));
        probeJar("future.jar", "future", ">=9.0.0", "future-kind", "FutureProvider");

        ProviderLoader.Loaded loaded = load();

        assertThat(loaded.plugins()).extracting(s -> s.file().getFileName().toString())
                .containsExactly("future.jar", "good.jar", "no-descriptor.jar", "x.jar");
        assertThat(status(loaded, "good.jar").loaded()).isTrue();
        assertThat(provider(loaded, "probe-only").origin()).contains("good.jar");

        PluginStatus corrupt = status(loaded, "x.jar");
        assertThat(corrupt.loaded()).isFalse();
        assertThat(corrupt.id()).isEmpty();
        assertThat(corrupt.problem()).startsWith("not a readable jar: ");

        PluginStatus noDescriptor = status(loaded, "no-descriptor.jar");
        assertThat(noDescriptor.loaded()).isFalse();
        assertThat(noDescriptor.problem())
                .isEqualTo("no valid plugin descriptor (Field 'id' cannot be empty; the manifest needs Plugin-Id and Plugin-Version)");

        PluginStatus future = status(loaded, "future.jar");
        assertThat(future.loaded()).isFalse();
        assertThat(future.id()).isEqualTo("future");
        assertThat(future.version()).isEqualTo("1.2.3");
        assertThat(future.problem()).isEqualTo("it requires Stagecraft core >=9.0.0, this is 0.1.0");

        assertThat(loaded.providers()).extracting(EnvironmentProvider::kind).doesNotContain("future-kind", "no-descriptor");
        assertThat(loaded.problems())
                .contains("plugin x.jar skipped: " + corrupt.problem(),
                        "plugin no-descriptor.jar skipped: " + noDescriptor.problem(),
                        "plugin future.jar skipped: it requires Stagecraft core >=9.0.0, this is 0.1.0")
                .noneMatch(p -> p.startsWith("plugin good.jar"));
    }

    @Test
    void firstProviderOfAKindWinsAndTheSecondIsReported() throws Exception {
        probeJar("a-first.jar", "first", ">=0.1.0", "probe-only", "FirstProvider");
        probeJar("b-second.jar", "second", ">=0.1.0", "probe-only", "SecondProvider");
        ProviderLoader.Loaded loaded = load();

        assertThat(loaded.providers().stream().filter(p -> p.kind().equals("probe-only"))).hasSize(1);
        assertThat(provider(loaded, "probe-only").implementationClass()).isEqualTo("org.example.probe.FirstProvider");
        assertThat(status(loaded, "a-first.jar").kinds()).containsExactly("probe-only");
        assertThat(status(loaded, "b-second.jar").kinds()).isEmpty();
        assertThat(loaded.problems()).contains("provider kind 'probe-only' from plugin second 1.2.3 (b-second.jar) ignored: "
                + "already provided by plugin first 1.2.3 (a-first.jar)");
    }

    @Test
    void samePluginIdTwiceIsSkipped() throws Exception {
        probeJar("a.jar", "twin", ">=0.1.0", "probe-a", "AProvider");
        probeJar("b.jar", "twin", ">=0.1.0", "probe-b", "BProvider");
        ProviderLoader.Loaded loaded = load();
        assertThat(status(loaded, "a.jar").loaded()).isTrue();
        assertThat(status(loaded, "b.jar").loaded()).isFalse();
        assertThat(status(loaded, "b.jar").problem()).contains("twin");
        assertThat(loaded.providers()).extracting(EnvironmentProvider::kind).contains("probe-a").doesNotContain("probe-b");
    }

    @Test
    void zipWithAnEscapingEntryIsRefused() throws Exception {
        probeJar("good.jar", "good", ">=0.1.0", "probe-only", "ProbeOnlyProvider");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("classes/META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nPlugin-Id: evil\nPlugin-Version: 1.0.0\n\n"
                .getBytes(StandardCharsets.UTF_8));
        entries.put("../evil", "pwned".getBytes(StandardCharsets.UTF_8));
        PluginFixtures.rawZip(entries, plugins().resolve("evil.zip"));
        PluginFixtures.rawZip(entries, plugins().resolve("hostile.zip"));
        Map<String, byte[]> deeper = new LinkedHashMap<>(entries);
        deeper.remove("../evil");
        deeper.put("classes/../../../escaped.txt", "pwned".getBytes(StandardCharsets.UTF_8));
        PluginFixtures.rawZip(deeper, plugins().resolve("deeper.zip"));

        ProviderLoader.Loaded loaded = load();
        for (String name : List.of("evil.zip", "hostile.zip")) {
            PluginStatus refused = status(loaded, name);
            assertThat(refused.loaded()).isFalse();
            assertThat(refused.problem()).isEqualTo("entry '../evil' would be written outside the plugin folder");
            assertThat(loaded.problems()).contains("plugin " + name + " skipped: entry '../evil' would be written outside the plugin folder");
        }
        assertThat(status(loaded, "deeper.zip").problem())
                .isEqualTo("entry 'classes/../../../escaped.txt' would be written outside the plugin folder");
        assertThat(cache().resolve("evil")).as("the entry did not land as a file, and no half-unpacked folder is left").doesNotExist();
        assertThat(cache().resolve("hostile")).doesNotExist();
        assertThat(work.resolve("evil")).doesNotExist();
        assertThat(work.resolve("escaped.txt")).doesNotExist();
        assertThat(status(loaded, "good.jar").loaded()).isTrue();
    }

    @Test
    void aBundledCopyOfTheApiIsIgnoredInFavourOfTheHosts() throws Exception {
        Path build = Files.createDirectories(work.resolve("build-bundled"));
        Path classes = PluginFixtures.compile(build, Map.of("org.example.bundled.BundledProvider",
                PluginFixtures.providerSource("org.example.bundled", "BundledProvider", "probe-bundled")), List.of());
        PluginFixtures.writeService(classes, "org.example.bundled.BundledProvider");
        PluginFixtures.zip(classes, PluginFixtures.manifest("bundled", "1.0.0", ">=0.1.0"),
                List.of(PluginFixtures.apiJar(work)), plugins().resolve("bundled.zip"));
        ProviderLoader.Loaded loaded = load();
        assertThat(status(loaded, "bundled.zip").problem()).isEmpty();
        ContextBoundProvider provider = provider(loaded, "probe-bundled");
        assertThat(provider.describe().kind()).isEqualTo("probe-bundled");
        assertThat(pluginClass(provider).getInterfaces()).contains(EnvironmentProvider.class);
    }

    @Test
    void brokenServiceEntryIsReportedAndThePluginContributesNothing() throws Exception {
        Path build = Files.createDirectories(work.resolve("build-broken"));
        Path classes = PluginFixtures.compile(build, Map.of("org.example.lib.Helper", PluginFixtures.HELPER_SOURCE), List.of());
        PluginFixtures.writeService(classes, "org.example.missing.NoSuchProvider");
        PluginFixtures.jar(classes, PluginFixtures.manifest("broken", "0.0.1", ">=0.1.0"), plugins().resolve("broken.jar"));
        ProviderLoader.Loaded loaded = load();
        assertThat(status(loaded, "broken.jar").kinds()).isEmpty();
        assertThat(loaded.problems()).anyMatch(p -> p.startsWith("EnvironmentProvider from plugin broken 0.0.1 (broken.jar) skipped: ")
                && p.contains("org.example.missing.NoSuchProvider"));
        assertThat(loaded.problems()).contains("plugin broken 0.0.1 contributes no environment provider");
    }

    @Test
    void missingPluginsFolderFallsBackToTheClassPath() {
        Path absent = work.resolve("no-such-folder");
        ProviderLoader.Loaded loaded = new ProviderLoader(CORE_VERSION, getClass().getClassLoader()).load(absent, cache());
        assertThat(loaded.plugins()).isEmpty();
        assertThat(loaded.problems()).contains("plugins folder " + absent + " does not exist; using the class path only");
        assertThat(loaded.providers()).allSatisfy(p -> assertThat(p.origin()).isEqualTo("class path"));
        ProviderLoader.Loaded none = new ProviderLoader(CORE_VERSION, getClass().getClassLoader()).load(null, cache());
        assertThat(none.problems()).noneMatch(p -> p.startsWith("plugins folder"));
    }

    @Test
    void emptyPluginsFolder() throws IOException {
        ProviderLoader.Loaded loaded = load();
        assertThat(loaded.plugins()).isEmpty();
        assertThat(loaded.problems()).noneMatch(p -> p.startsWith("plugin "));
    }

    /** The provider's implementation class, reached through the context-bound wrapper. */
    private static Class<?> pluginClass(ContextBoundProvider provider) throws ReflectiveOperationException {
        java.lang.reflect.Field delegate = ContextBoundProvider.class.getDeclaredField("delegate");
        delegate.setAccessible(true);
        return delegate.get(provider).getClass();
    }
}
