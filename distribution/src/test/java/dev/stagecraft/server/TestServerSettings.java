package dev.stagecraft.server;

import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

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
                Duration.ofSeconds(30), 50, 100, 20, Map.of(), List.of(), List.of()));
        assertThat(settings.maxEnvironments("anyone")).isEqualTo(20);
    }

    @Test
    void everyKey() {
        ServerSettings settings = ServerSettings.from(server(Map.of("listen", "0.0.0.0:9000", "threads", "8",
                "max-request-size", "64k", "max-file-size", "1g", "stop-grace", "5s",
                "rate-limit", Map.of("requests-per-second", "2.5", "burst", "10"), "max-environments", "4",
                "tenants", Map.of("big", Map.of("max-environments", "100")),
                "mcp", Map.of("allowed-origins", List.of("https://ide.example.com"), "allowed-hosts", List.of("stagecraft.internal:*")))));
        assertThat(settings).isEqualTo(new ServerSettings("0.0.0.0:9000", 8, 64L << 10, 1L << 30, Duration.ofSeconds(5),
                2.5, 10, 4, Map.of("big", 100), List.of("https://ide.example.com"), List.of("stagecraft.internal:*")));
        assertThat(settings.maxEnvironments("big")).isEqualTo(100);
        assertThat(settings.maxEnvironments("small")).isEqualTo(4);
    }

    @Test
    void aBadOrUnknownKeyIsNamed() {
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("port", "1"))))
                .isInstanceOf(StagecraftException.class)
                .hasMessage("stagecraft.yaml: server.port: unknown key (known here: listen, max-environments, max-file-size, "
                        + "max-request-size, mcp, rate-limit, stop-grace, tenants, threads)");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("rate-limit", Map.of("requests-per-second", "0")))))
                .hasMessage("stagecraft.yaml: server.rate-limit.requests-per-second: must be positive");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("tenants", Map.of("a", Map.of("max-environments", "x"))))))
                .hasMessage("stagecraft.yaml: server.tenants.a.max-environments: 'x' is not a whole number");
        assertThatThrownBy(() -> ServerSettings.from(server(Map.of("max-file-size", "2g"))))
                .hasMessage("stagecraft.yaml: server.max-file-size: at most 1g: a file is held in memory");
    }
}
