package dev.stagecraft.server;

import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.manager.EnvironmentInfo;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The status page as one server-rendered HTML document: no script, nothing loaded from elsewhere, the style inline.
 * Every value that comes from a caller or a backend (labels, tenants, requirements, explanations, reasons) is
 * escaped by {@link #escape}.
 */
final class StatusPage {
    private static final String NONE = "\u2014";
    private static final String STYLE = """
            body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; margin: 24px 32px; color: #1d2330; background: #f7f8fa; }
            h1 { font-size: 22px; margin: 0 0 4px; }
            h2 { font-size: 17px; margin: 28px 0 8px; }
            .meta { color: #5a6272; margin: 0; }
            table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
            th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
            th { background: #eef1f5; font-weight: 600; }
            .nowrap { white-space: nowrap; }
            code, pre { font: 12px/1.4 "DejaVu Sans Mono", monospace; }
            pre { margin: 0; white-space: pre-wrap; }
            .ok, .bad, .warn { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; }
            .ok { background: #d8f3df; color: #17632f; }
            .bad { background: #fbdcdc; color: #8c1c1c; }
            .warn { background: #fdf0cf; color: #7a5600; }
            .empty { color: #5a6272; font-style: italic; }
            ul { margin: 0; padding-left: 18px; }
            """;

    private StatusPage() {
    }

    static String render(StatusRoutes.Snapshot snapshot) {
        StringBuilder html = new StringBuilder(8192);
        long available = snapshot.providers().stream().filter(report -> report.health().available()).count();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Stagecraft status</title><link rel=\"icon\" href=\"data:,\">")
                .append("<style>").append(STYLE).append("</style></head>\n<body>\n")
                .append("<h1>Stagecraft status</h1>\n<p class=\"meta\">version ").append(escape(snapshot.version()))
                .append(" &middot; ").append(snapshot.environments().size()).append(" environment(s) &middot; ")
                .append(available).append(" of ").append(snapshot.providers().size()).append(" provider(s) available")
                .append(" &middot; read at ").append(escape(time(snapshot.at()))).append("</p>\n");
        providers(html, snapshot.providers());
        pools(html, snapshot.pools());
        environments(html, snapshot.environments(), snapshot.at());
        selections(html, snapshot.selections());
        return html.append("</body></html>\n").toString();
    }

    private static void providers(StringBuilder html, List<ProviderReport> providers) {
        if (!opened(html, "providers", "Providers", providers.isEmpty(), "No provider is installed.")) {
            return;
        }
        html.append("<table><thead><tr><th>Kind</th><th>Version</th><th>Health</th><th>Reason</th><th>Remedy</th>")
                .append("</tr></thead><tbody>\n");
        for (ProviderReport report : providers) {
            html.append("<tr><td><code>").append(escape(report.kind())).append("</code></td><td>")
                    .append(escape(String.valueOf(report.version()))).append("</td><td>")
                    .append(report.health().available() ? "<span class=\"ok\">available</span>" : "<span class=\"bad\">unavailable</span>")
                    .append("</td><td>").append(escape(report.health().reason())).append("</td><td>");
            List<String> remedies = report.health().remedies();
            if (remedies.isEmpty()) {
                html.append(NONE);
            } else {
                html.append("<ul>");
                remedies.forEach(remedy -> html.append("<li>").append(escape(remedy)).append("</li>"));
                html.append("</ul>");
            }
            html.append("</td></tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void pools(StringBuilder html, List<Map<String, Object>> pools) {
        if (!opened(html, "pools", "Warm pools", pools.isEmpty(), "No warm pool is configured.")) {
            return;
        }
        html.append("<table><thead><tr><th>Pool</th><th>Size</th><th>Ready</th></tr></thead><tbody>\n");
        for (Map<String, Object> pool : pools) {
            int size = (Integer) pool.get("size");
            int ready = (Integer) pool.get("ready");
            html.append("<tr><td><code>").append(escape(String.valueOf(pool.get("name")))).append("</code></td><td>")
                    .append(size).append("</td><td><span class=\"").append(ready >= size ? "ok" : ready > 0 ? "warn" : "bad")
                    .append("\">").append(ready).append("</span></td></tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void environments(StringBuilder html, List<EnvironmentInfo> environments, Instant now) {
        if (!opened(html, "environments", "Environments", environments.isEmpty(), "No environment is alive.")) {
            return;
        }
        html.append("<table><thead><tr><th>Id</th><th>Kind</th><th>Tenant</th><th>Labels</th><th>Status</th><th>Age</th>")
                .append("<th>TTL / expires</th><th>CPU</th><th>Memory</th></tr></thead><tbody>\n");
        for (EnvironmentInfo info : environments) {
            String status = info.expired() ? "EXPIRED" : info.status().name();
            String owner = StatusRoutes.tenant(info).map(StatusPage::escape)
                    .or(() -> StatusRoutes.pool(info).map(pool -> "<span class=\"meta\">pool " + escape(pool) + "</span>"))
                    .orElse(NONE);
            html.append("<tr><td class=\"nowrap\"><code>").append(escape(info.id())).append("</code></td><td>").append(escape(info.kind()))
                    .append(" <span class=\"meta\">(").append(escape(info.isolation().label())).append(")</span></td><td>")
                    .append(owner).append("</td><td>").append(labels(info.labels().userLabels())).append("</td><td>")
                    .append("<span class=\"").append(statusClass(status)).append("\">").append(status).append("</span></td><td>")
                    .append(duration(Duration.between(info.createdAt(), now))).append("</td><td>")
                    .append(ttl(info, now)).append("</td>");
            usage(html, info);
            html.append("</tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void usage(StringBuilder html, EnvironmentInfo info) {
        if (info.lastUsage().isEmpty()) {
            html.append("<td>").append(NONE).append("</td><td>").append(NONE).append("</td>");
            return;
        }
        ResourceUsage usage = info.lastUsage().get();
        html.append("<td>").append(usage.cpuPercent() < 0 ? NONE : String.format(Locale.ROOT, "%.1f%%", usage.cpuPercent()))
                .append("</td><td>").append(bytes(usage.memoryBytes()));
        if (usage.memoryLimit() > 0) {
            html.append(" / ").append(bytes(usage.memoryLimit()))
                    .append(String.format(Locale.ROOT, " (%.0f%%)", usage.memoryPercent()));
        }
        html.append("</td>");
    }

    private static void selections(StringBuilder html, List<RecentSelections.Entry> selections) {
        if (!opened(html, "selections", "Last selections", selections.isEmpty(), "No selection since the server started.")) {
            return;
        }
        html.append("<table><thead><tr><th>Time</th><th>Tenant</th><th>For</th><th>Requirement</th><th>Chosen</th>")
                .append("<th>Explanation</th></tr></thead><tbody>\n");
        for (RecentSelections.Entry entry : selections) {
            html.append("<tr><td class=\"nowrap\">").append(escape(time(entry.at()))).append("</td><td>").append(escape(entry.tenant()))
                    .append("</td><td>").append(escape(entry.purpose())).append("</td><td>").append(escape(entry.requirement()))
                    .append("</td><td>").append(entry.chosen().map(kind -> "<span class=\"ok\">" + escape(kind) + "</span>")
                            .orElse("<span class=\"bad\">nothing</span>"))
                    .append("</td><td><pre>").append(escape(entry.explanation().stripTrailing())).append("</pre></td></tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    /**
     * Opens a section with its heading and answers true; when it has {@code nothing} to list, says {@code empty}
     * instead, closes it and answers false.
     */
    private static boolean opened(StringBuilder html, String id, String title, boolean nothing, String empty) {
        html.append("<section id=\"").append(id).append("\"><h2>").append(title).append("</h2>\n");
        if (nothing) {
            html.append("<p class=\"empty\">").append(empty).append("</p></section>\n");
        }
        return !nothing;
    }

    /** Text as HTML element content or a quoted attribute value. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String labels(Map<String, String> labels) {
        if (labels.isEmpty()) {
            return NONE;
        }
        return labels.entrySet().stream().map(label -> "<code>" + escape(label.getKey()) + "=" + escape(label.getValue()) + "</code>")
                .collect(Collectors.joining("<br>"));
    }

    private static String statusClass(String status) {
        return switch (status) {
            case "READY", "RUNNING" -> "ok";
            case "CREATING", "STOPPING", "STOPPED" -> "warn";
            default -> "bad";
        };
    }

    private static String ttl(EnvironmentInfo info, Instant now) {
        if (info.expiresAt().isEmpty()) {
            return "none";
        }
        Instant expires = info.expiresAt().get();
        String when = expires.isAfter(now) ? "in " + duration(Duration.between(now, expires))
                : duration(Duration.between(expires, now)) + " ago";
        return duration(info.ttl()) + " <span class=\"meta\">(expires " + escape(time(expires)) + ", " + when + ")</span>";
    }

    static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** {@code 45s}, {@code 3m 12s}, {@code 2h 05m}, {@code 1d 03h}. */
    static String duration(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m " + String.format(Locale.ROOT, "%02ds", seconds % 60);
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h " + String.format(Locale.ROOT, "%02dm", seconds % 3600 / 60);
        }
        return seconds / 86_400 + "d " + String.format(Locale.ROOT, "%02dh", seconds % 86_400 / 3600);
    }

    /** {@code 512 B}, {@code 12.3 MiB}: -1 (not measured) is a dash. */
    static String bytes(long bytes) {
        if (bytes < 0) {
            return NONE;
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
