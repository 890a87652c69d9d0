package dev.stagecraft.sandbox;

import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EgressPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The nftables ruleset put into a networked sandbox's own network namespace (from outside, before anything of the
 * request runs; the sandbox has no capability in that namespace's user namespace, so it cannot change them): its
 * own loopback and DNS to the user-mode network's resolver pass; the host's own addresses, then the denied ranges
 * ({@link EgressPolicy#DENIED_RANGES}) unless the configuration opened them, are rejected at once (no silent drop,
 * so a connect fails fast); an allowlist then passes only what it lists.
 */
final class EgressRules {
    static final String TABLE = "stagecraft";

    private EgressRules() {
    }

    /** The ruleset for {@code policy}, with {@code dns} the resolver inside the namespace. */
    static String of(EgressPolicy policy, List<Cidr> open, List<Cidr> hostAddresses, String dns) {
        return of(policy, open, hostAddresses, dns, 0);
    }

    /** As above; with a {@code proxyPort}, that one port of the gateway (the host's loopback) passes too. */
    static String of(EgressPolicy policy, List<Cidr> open, List<Cidr> hostAddresses, String dns, int proxyPort) {
        List<Cidr> denied = EgressPolicy.DENIED_RANGES.stream().map(Cidr::parse).toList();
        // The host's addresses inside a denied range are rejected there already (an anonymous set may not overlap).
        List<Cidr> host = outermost(hostAddresses.stream().filter(a -> denied.stream().noneMatch(d -> d.contains(a))).toList());
        List<Cidr> allowed = outermost(policy.allowCidrs().stream().map(Cidr::parse).toList());
        StringBuilder out = new StringBuilder();
        out.append("table inet ").append(TABLE).append(" {\n");
        out.append("  chain output {\n    type filter hook output priority 0; policy accept;\n");
        out.append("    oifname \"lo\" accept\n");
        out.append("    ip daddr ").append(dns).append(" udp dport 53 accept\n");
        out.append("    ip daddr ").append(dns).append(" tcp dport 53 accept\n");
        if (proxyPort > 0) {
            out.append("    ip daddr ").append(UserModeNetwork.GATEWAY).append(" tcp dport ").append(proxyPort).append(" accept\n");
        }
        reject(out, host);
        for (boolean v4 : new boolean[] {true, false}) {
            List<Cidr> opened = outermost(open.stream().filter(c -> c.ipv4() == v4).toList());
            if (!opened.isEmpty()) {
                out.append("    ").append(family(v4)).append(" daddr ").append(set(opened)).append(" goto permitted\n");
            }
        }
        reject(out, denied);
        out.append("    goto permitted\n  }\n");
        out.append("  chain permitted {\n");
        if (policy.restricted()) {
            for (boolean v4 : new boolean[] {true, false}) {
                List<Cidr> some = allowed.stream().filter(c -> c.ipv4() == v4).toList();
                if (!some.isEmpty()) {
                    out.append("    ").append(family(v4)).append(" daddr ").append(set(some)).append(" accept\n");
                }
            }
            out.append("    reject with icmpx type admin-prohibited\n");
        } else {
            out.append("    accept\n");
        }
        out.append("  }\n}\n");
        return out.toString();
    }

    /** Whether an {@link EgressProxy} must refuse {@code address}: the host's own, or in a denied range not opened. */
    static java.util.function.Predicate<InetAddress> deniedTest(List<Cidr> open, List<Cidr> hostAddresses) {
        List<Cidr> denied = EgressPolicy.DENIED_RANGES.stream().map(Cidr::parse).toList();
        return address -> {
            Cidr one = Cidr.parse(address.getHostAddress().replaceFirst("%.*$", ""));
            if (hostAddresses.stream().anyMatch(h -> h.contains(one))) {
                return true;
            }
            return denied.stream().anyMatch(d -> d.contains(one)) && open.stream().noneMatch(o -> o.contains(one));
        };
    }

    /** This host's own addresses, every interface's, as ranges of one. */
    static List<Cidr> hostAddresses() {
        try {
            List<Cidr> out = new ArrayList<>();
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                for (InetAddress address : nic.inetAddresses().toList()) {
                    out.add(Cidr.parse(address.getHostAddress().replaceFirst("%.*$", "")));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list this host's addresses: " + e.getMessage(), e);
        }
    }

    private static void reject(StringBuilder out, List<Cidr> ranges) {
        for (boolean v4 : new boolean[] {true, false}) {
            List<Cidr> some = ranges.stream().filter(c -> c.ipv4() == v4).toList();
            if (!some.isEmpty()) {
                out.append("    ").append(family(v4)).append(" daddr ").append(set(some))
                        .append(" reject with icmpx type admin-prohibited\n");
            }
        }
    }

    private static String family(boolean v4) {
        return v4 ? "ip" : "ip6";
    }

    private static String set(List<Cidr> ranges) {
        return ranges.stream().map(Cidr::toString).collect(Collectors.joining(", ", "{ ", " }"));
    }

    /** The ranges not inside another one of the list (and no duplicates), so that nftables sees no overlap. */
    static List<Cidr> outermost(List<Cidr> ranges) {
        List<Cidr> out = new ArrayList<>();
        for (Cidr range : ranges) {
            Predicate<Cidr> covers = other -> other.contains(range);
            if (out.stream().noneMatch(covers)) {
                out.removeIf(range::contains);
                out.add(range);
            }
        }
        return out;
    }
}
