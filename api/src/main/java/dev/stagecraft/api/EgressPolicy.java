package dev.stagecraft.api;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Where a networked environment may connect, as the caller states it. Whatever it says, every kind keeps a
 * networked environment off the host itself, link-local addresses (the cloud metadata service among them) and the
 * private ranges ({@link #DENIED_RANGES}), unless the provider's configuration opens a range on purpose. An empty
 * policy ({@link #ANY}) reaches any other address; a non-empty one reaches only what it lists, plus name resolution.
 *
 * @param allowHosts domain names the environment may reach ({@code example.com}; {@code *.example.com} for its
 *                   subdomains), lower-cased
 * @param allowCidrs address ranges it may reach, normalised ({@code 203.0.113.0/24}, {@code 2001:db8::/32}); a
 *                   range inside a denied one stays denied
 */
public record EgressPolicy(List<String> allowHosts, List<String> allowCidrs) {
    /** No allowlist: any address outside the denied ranges. */
    public static final EgressPolicy ANY = new EgressPolicy(List.of(), List.of());

    /** Denied from every networked environment unless a provider's configuration opens them. */
    public static final List<String> DENIED_RANGES = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10",
            "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3",
            "::/127", "fc00::/7", "fe80::/10", "ff00::/8");

    private static final Pattern HOST = Pattern.compile(
            "(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public EgressPolicy {
        allowHosts = requireNonNull(allowHosts, "allowHosts is null").stream().map(EgressPolicy::host).distinct().toList();
        allowCidrs = requireNonNull(allowCidrs, "allowCidrs is null").stream().map(c -> Cidr.parse(c).toString())
                .distinct().toList();
    }

    /** Whether the environment may reach only what this policy lists. */
    public boolean restricted() {
        return !allowHosts.isEmpty() || !allowCidrs.isEmpty();
    }

    /** One line for explanations: {@code "public addresses only"}, or what the allowlist holds. */
    public String describe() {
        if (!restricted()) {
            return "any public address; host, link-local and private ranges denied";
        }
        List<String> allowed = new java.util.ArrayList<>(allowHosts);
        allowed.addAll(allowCidrs);
        return "only " + String.join(", ", allowed) + " (and DNS); host, link-local and private ranges denied";
    }

    private static String host(String name) {
        requireNonNull(name, "host is null");
        String lower = name.trim().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        if (lower.length() > 253 || !HOST.matcher(lower).matches() || lower.matches("[0-9.]+")) {
            throw StagecraftException.invalidRequirement("allowed host '" + name
                    + "' is not a domain name (example.com or *.example.com; give addresses as an allowed CIDR)");
        }
        return lower;
    }
}
