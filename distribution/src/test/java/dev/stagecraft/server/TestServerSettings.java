package dev.stagecraft.server;

import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code server} section: its defaults, every key, and a bad or unknown key named. */
class TestServerSettings {
    private static Settings server(Map<String, ?> values) {
        return new Settings("stagecraft.yaml", "server", values);
    }

    @Test
    void defaults() {
        ServerSettings settings = ServerSettings.from(server(Map.of()));
        assertThat(settings).isEqualTo(new ServerSettings("127.0.0.1:8700", 32, 1L << 20, 64L << 20,
                Duration.ofSeconds(30), 50, 100, TenantQuota.DEFAULT, Map.of(), Optional.empty(), List.of(), List.of(), Optional.empty()));
        assertThat(settings.quota("anyone")).isEqualTo(new TenantQuota(20, OptionalDouble.empty(), OptionalLong.empty(),
                OptionalInt.empty()));
    }

    @Test
    void everyKey() {
        ServerSettings settings = ServerSettings.from(server(Map.ofEntries(Map.entry("listen", "0.0.0.0:9000"),
                Map.entry("threads", "8"), Map.entry("max-request-size", "64k"), Map.entry("max-file-size", "1g"),
                Map.entry("stop-grace", "5s"),
                Map.entry("rate-limit", Map.of("requests-per-second", "2.5", "burst", "10")),
                Map.entry("max-environments", "4"), Map.entry("max-cpus", "8"), Map.entry("max-memory", "16g"),
                Map.entry("max-gpus", "0"),
                Map.entry("tenants", Map.of("big", Map.of("max-environments", "100", "max-cpus", "unlimited",
                        "max-memory", "64g", "max-gpus", "2"), "tiny", Map.of("max-cpus", "0.5"))),
                Map.entry("audit-log", "/var/log/stagecraft/audit.jsonl"),
                Map.entry("mcp", Map.of("allowed-origins", List.of("https://ide.example.com"),
                        "allowed-hosts", List.of("stagecraft.internal:*"))))));
        TenantQuota standard = new TenantQuota(4, OptionalDouble.of(8), OptionalLong.of(16L << 30), OptionalInt.of(0));
        TenantQuota big = new TenantQuota(100, OptionalDouble.empty(), OptionalLong.of(64L << 30), OptionalInt.of(2));
        TenantQuota tiny = new TenantQuota(4, OptionalDouble.of(0.5), OptionalLong.of(16L << 30), OptionalInt.of(0));
        assertThat(settings).isEqualTo(new ServerSettings("0.0.0.0:9000", 8, 64L << 10, 1L << 30, Duration.ofSeconds(5),
                2.5, 10, standard, Map.of("big", big, "tiny", tiny), Optional.of(Path.of("/var/log/stagecraft/audit.jsonl")),
                List.of("https://ide.example.com"), List.of("stagecraft.internal:*"), Optional.empty()));
        assertThat(settings.quota("big")).isEqualTo(big);
        assertThat(settings.quota("tiny")).as("a tenant's section overrides only what it names").isEqualTo(tiny);
        assertThat(settings.quota("small")).isEqualTo(standard);
    }

    @Test
    void aBadOrUnknownKeyIsNamed() {
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("port", "1"))))
                .isInstanceOf(StagecraftException.class)
                .hasMessage("stagecraft.yaml: server.port: unknown key (known here: audit-log, listen, max-cpus, "
                        + "max-environments, max-file-size, max-gpus, max-memory, max-request-size, mcp, rate-limit, "
                        + "stop-grace, tenants, threads, tls)");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("rate-limit", Map.of("requests-per-second", "0")))))
                .hasMessage("stagecraft.yaml: server.rate-limit.requests-per-second: must be positive");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("tenants", Map.of("a", Map.of("max-environments", "x"))))))
                .hasMessage("stagecraft.yaml: server.tenants.a.max-environments: 'x' is not a whole number");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("max-file-size", "2g"))))
                .hasMessage("stagecraft.yaml: server.max-file-size: at most 1g: a file is held in memory");
    }

    @Test
    void aBadQuotaOrAuditLogIsOneLineNamingTheKey() {
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("max-memory", "lots"))))
                .isInstanceOf(StagecraftException.class)
                .hasMessage("stagecraft.yaml: server.max-memory: 'lots' is not a size (e.g. 512m, 2g)");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("max-cpus", "-1"))))
                .hasMessage("stagecraft.yaml: server.max-cpus: -1 is out of range [0, 100000] (or unlimited)");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("tenants", Map.of("a", Map.of("max-cpus", "two"))))))
                .hasMessage("stagecraft.yaml: server.tenants.a.max-cpus: 'two' is not a number");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("tenants", Map.of("a", Map.of("max-gpus", "1.5"))))))
                .hasMessage("stagecraft.yaml: server.tenants.a.max-gpus: '1.5' is not a whole number");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("tenants", Map.of("a", Map.of("max-disk", "1g"))))))
                .hasMessage("stagecraft.yaml: server.tenants.a.max-disk: unknown key (known here: max-cpus, "
                        + "max-environments, max-gpus, max-memory)");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("audit-log", " "))))
                .hasMessage("stagecraft.yaml: server.audit-log: ' ' is not a path");
    }
}
