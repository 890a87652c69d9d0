package dev.stagecraft.server;

import dev.stagecraft.api.Settings;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code server} section of the configuration, checked when the server starts (docs/configuration.md).
 *
 * @param listen                 {@code HOST:PORT} when {@code serve} is given no {@code --listen}
 * @param threads                requests handled at once; more wait in line
 * @param maxRequestBytes        the largest JSON body
 * @param maxFileBytes           the largest file put or got through {@code /files/}
 * @param stopGrace              how long a stopping server lets running requests finish
 * @param requestsPerSecond      each key's sustained request rate
 * @param burst                  requests a key may send at once above that rate
 * @param defaultQuota           what a tenant may hold when {@code tenants.<name>} says nothing else
 *                               ({@code max-environments}, {@code max-cpus}, {@code max-memory}, {@code max-gpus})
 * @param quotas                 {@code tenants.<name>}, by tenant, each on top of the default
 * @param auditLog               {@code audit-log}: where critical-level requests are recorded; empty: the state
 *                               folder's {@code server/audit.jsonl} (a relative path is taken from the state folder)
 * @param mcpAllowedOrigins      browser origins {@code /mcp} answers besides loopback ones ({@code mcp.allowed-origins})
 * @param mcpAllowedHosts        {@code Host} values {@code /mcp} answers besides loopback ones ({@code mcp.allowed-hosts})
 * @param tls                    {@code tls}: HTTPS with this key store; empty: plain HTTP
 */
public record ServerSettings(String listen, int threads, long maxRequestBytes, long maxFileBytes, Duration stopGrace,
                             double requestsPerSecond, double burst, TenantQuota defaultQuota,
                             Map<String, TenantQuota> quotas, Optional<Path> auditLog, List<String> mcpAllowedOrigins,
                             List<String> mcpAllowedHosts, Optional<ServerTls> tls) {
    private static final Set<String> KEYS = Set.of("listen", "threads", "max-request-size", "max-file-size", "stop-grace",
            "rate-limit", "max-environments", "max-cpus", "max-memory", "max-gpus", "tenants", "audit-log", "mcp", "tls");
    private static final Set<String> RATE_KEYS = Set.of("requests-per-second", "burst");
    private static final Set<String> MCP_KEYS = Set.of("allowed-origins", "allowed-hosts");

    public ServerSettings {
        quotas = Map.copyOf(quotas);
        mcpAllowedOrigins = List.copyOf(mcpAllowedOrigins);
        mcpAllowedHosts = List.copyOf(mcpAllowedHosts);
    }

    public static ServerSettings from(Settings server) {
        checkKnown(server, KEYS);
        Settings rate = server.section("rate-limit");
        checkKnown(rate, RATE_KEYS);
        TenantQuota defaultQuota = TenantQuota.DEFAULT.with(server);
        Settings tenants = server.section("tenants");
        Map<String, TenantQuota> quotas = new TreeMap<>();
        for (String tenant : tenants.keys()) {
            Settings section = tenants.section(tenant);
            checkKnown(section, TenantQuota.KEYS);
            quotas.put(tenant, defaultQuota.with(section));
        }
        Optional<Path> auditLog = auditLog(server);
        Settings mcp = server.section("mcp");
        checkKnown(mcp, MCP_KEYS);
        double perSecond = rate.number("requests-per-second", 50);
        double burst = rate.number("burst", 100);
        if (perSecond <= 0) {
            throw rate.invalid("requests-per-second", "must be positive");
        }
        if (burst < 1) {
            throw rate.invalid("burst", "must be at least 1");
        }
        long maxFile = server.bytes("max-file-size", 64L << 20);
        if (maxFile > 1L << 30) {
            throw server.invalid("max-file-size", "at most 1g: a file is held in memory");
        }
        return new ServerSettings(server.string("listen", "127.0.0.1:8700"),
                (int) server.integer("threads", 32, 1, 1024),
                server.bytes("max-request-size", 1L << 20),
                maxFile,
                server.duration("stop-grace", Duration.ofSeconds(30)),
                perSecond, burst,
                defaultQuota,
                quotas,
                auditLog,
                mcp.strings("allowed-origins", List.of()),
                mcp.strings("allowed-hosts", List.of()),
                ServerTls.from(server.section("tls")));
    }

    /** What {@code tenant} may hold at once. */
    public TenantQuota quota(String tenant) {
        return quotas.getOrDefault(tenant, defaultQuota);
    }

    private static Optional<Path> auditLog(Settings server) {
        if (!server.has("audit-log")) {
            return Optional.empty();
        }
        String text = server.string("audit-log", "");
        try {
            if (!text.isBlank()) {
                return Optional.of(Path.of(text));
            }
        } catch (InvalidPathException e) {
            // refused below
        }
        throw server.invalid("audit-log", "'" + text + "' is not a path");
    }

    private static void checkKnown(Settings settings, Set<String> known) {
        for (String key : settings.keys()) {
            if (!known.contains(key)) {
                throw settings.invalid(key, "unknown key (known here: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }
}
