package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Cidr;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestSandboxSettings {
    @TempDir
    Path stateDir;

    @Test
    void defaults() {
        SandboxSettings s = SandboxSettings.from(Settings.empty("providers.sandbox"));
        assertThat(s).isEqualTo(new SandboxSettings("bwrap", 512L << 20, 1.0, 256, 64L << 20,
                "/usr/local/bin:/usr/bin:/bin", Path.of("/sys/fs/cgroup"), "stagecraft", Duration.ofMillis(1500), 6, 0,
                1024, 1L << 30, Duration.ZERO, "auto",
                new SandboxSettings.Network("slirp4netns", "nsenter", "nft", List.of()), List.of(), true));
    }

    @Test
    void everyKey() {
        SandboxSettings s = SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.ofEntries(
                Map.entry("bwrap", "/opt/bwrap"), Map.entry("memory", "1g"), Map.entry("cpus", "0.5"),
                Map.entry("pids", 100), Map.entry("tmp-size", "16m"), Map.entry("path", "/usr/bin"),
                Map.entry("cgroup-root", "/cg"), Map.entry("cgroup-parent", "sc/envs"),
                Map.entry("startup-estimate", "50ms"), Map.entry("execution-efficiency", 7),
                Map.entry("cost-per-hour", "0.25"), Map.entry("open-files", 256), Map.entry("file-size", "100m"),
                Map.entry("cpu-time", "90s"), Map.entry("launcher", "shell"), Map.entry("slirp4netns", "/opt/slirp"),
                Map.entry("nsenter", "/opt/nsenter"), Map.entry("nft", "/opt/nft"),
                Map.entry("open-cidrs", List.of("10.1.0.0/16", "fd12::/16")), Map.entry("read-only-paths", List.of("/usr/share")),
                Map.entry("prespawn", false))));
        assertThat(s).isEqualTo(new SandboxSettings("/opt/bwrap", 1L << 30, 0.5, 100, 16L << 20, "/usr/bin",
                Path.of("/cg"), "sc/envs", Duration.ofMillis(50), 7, 0.25, 256, 100L << 20, Duration.ofSeconds(90), "shell",
                new SandboxSettings.Network("/opt/slirp", "/opt/nsenter", "/opt/nft",
                        List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd12::/16"))), List.of(Path.of("/usr/share")), false));
    }

    @Test
    void readOnlyPathsMustBeAbsoluteExistingAndNoSecretPlace() {
        for (Object[] bad : new Object[][] {{"opt/x", "must be an absolute path"}, {"/opt/../etc", "without '.' or '..'"},
                {"/no/such/dir", "does not exist"}, {"/", "is the host's root"}, {"/root", "is or holds /root"},
                {"/etc/shadow", "is or holds /etc"}, {"/var", "is or holds /var/"}, {"/run", "is or holds /run"},
                {"/home", "is or holds /home"}}) {
            assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox",
                    Map.of("read-only-paths", List.of(bad[0])))))
                    .as(bad[0].toString()).hasMessageStartingWith("f.yaml: providers.sandbox.read-only-paths: ")
                    .hasMessageContaining((String) bad[1]);
        }
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox",
                Map.of("open-cidrs", List.of("10.0.0.0/33")))))
                .hasMessageStartingWith("f.yaml: providers.sandbox.open-cidrs: '10.0.0.0/33' is not an address range");
    }

    @Test
    void badValueIsOneLineNamingTheKey() {
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("memory", "12x"))))
                .isInstanceOf(StagecraftException.class)
                .satisfies(e -> assertThat(((StagecraftException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION))
                .hasMessageStartingWith("f.yaml: providers.sandbox.memory: ").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("cgroup-parent", "../x"))))
                .hasMessageContaining("providers.sandbox.cgroup-parent");
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("open-files", 4))))
                .hasMessageContaining("providers.sandbox.open-files");
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("file-size", "1k"))))
                .hasMessageContaining("providers.sandbox.file-size");
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("cpu-time", "10ms"))))
                .hasMessageContaining("providers.sandbox.cpu-time");
        assertThatThrownBy(() -> SandboxSettings.from(new Settings("f.yaml", "providers.sandbox", Map.of("launcher", "fork"))))
                .hasMessageContaining("providers.sandbox.launcher").hasMessageContaining("auto, direct or shell");
    }

    @Test
    void serviceFileNamesTheProviderAndCapabilitiesAreTheSeeds() {
        assertThat(ServiceLoader.load(EnvironmentProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(dev.stagecraft.sandbox.kind.SandboxKind.class);
        ProviderCapabilities c = SandboxFixtures.provider(stateDir).describe();
        assertThat(c.kind()).isEqualTo("sandbox");
        assertThat(c.isolationLevels()).containsExactly(IsolationLevel.CONTAINER);
        assertThat(c.startupEstimate()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.executionEfficiency()).isEqualTo(6);
        assertThat(c.network()).isTrue();
        assertThat(c.gpu()).isFalse();
        assertThat(c.persistentStorage()).isFalse();
        assertThat(c.ceiling().cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void limitsForAreTheRequirementsOrTheConfiguredDefaults() {
        SandboxProvider provider = SandboxFixtures.provider(stateDir, Map.of("memory", "256m", "cpus", "0.5"));
        assertThat(provider.limitsFor(EnvironmentRequirement.builder().build())).isEqualTo(new Resources(0.5, 256L << 20, 0, 0));
        assertThat(provider.limitsFor(EnvironmentRequirement.builder().memoryBytes(1L << 30).build()))
                .isEqualTo(new Resources(0.5, 1L << 30, 0, 0));
    }

    @Test
    void probeReportsFactsOrAnActionableReason() {
        var health = SandboxFixtures.provider(stateDir, Map.of("bwrap", "/nonexistent/bwrap")).probe();
        assertThat(health.available()).isFalse();
        assertThat(health.reason()).contains("bubblewrap not found");
        assertThat(health.remedies()).anyMatch(r -> r.contains("apt-get install bubblewrap"));
    }
}
