package dev.stagecraft.docker;

import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EgressPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The nftables ruleset that holds one networked container to an {@link EgressPolicy}, loaded into the container's own
 * network namespace ({@link ContainerFirewall}). On the output hook, in order: loopback and replies of accepted
 * connections pass; DNS (udp and tcp 53) to the container's own nameservers passes (Docker copies the host's, often a
 * private address); the ranges the configuration opens go on to the allowlist; the denied ranges, the host's own
 * addresses and the bridge's gateway are rejected with admin-prohibited, so that a connect fails at once instead of
 * hanging; then, with an allowlist, only its ranges pass and the rest is rejected the same way.
 *
 * @param policy      the requirement's egress policy (its host names are not held here: the provider refuses them)
 * @param nameservers the container's resolv.conf nameservers
 * @param host        the host's own addresses and the bridge's gateway
 * @param open        ranges {@code providers.docker.open-cidrs} opens on purpose
 */
record EgressRules(EgressPolicy policy, List<Cidr> nameservers, List<Cidr> host, List<Cidr> open) {
    /** The table, one per container namespace: loading the script again replaces it. */
    static final String TABLE = "stagecraft_egress";
    private static final String REJECT = "reject with icmpx type admin-prohibited";

    String script() {
        List<Cidr> denied = new ArrayList<>(host);
        EgressPolicy.DENIED_RANGES.forEach(r -> denied.add(Cidr.parse(r)));
        StringBuilder out = new StringBuilder();
        out.append("table inet ").append(TABLE).append('\n');
        out.append("delete table inet ").append(TABLE).append('\n');
        out.append("table inet ").append(TABLE).append(" {\n");
        out.append("  chain output {\n    type filter hook output priority 0; policy accept;\n");
        out.append("    oif \"lo\" accept\n");
        out.append("    ct state established,related accept\n");
        match(out, nameservers, "meta l4proto { tcp, udp } th dport 53 accept");
        match(out, open, "goto allowlist");
        match(out, denied, REJECT);
        out.append("    goto allowlist\n  }\n");
        out.append("  chain allowlist {\n");
        if (policy.allowCidrs().isEmpty()) {
            out.append("    accept\n");
        } else {
            match(out, policy.allowCidrs().stream().map(Cidr::parse).toList(), "accept");
            out.append("    ").append(REJECT).append('\n');
        }
        out.append("  }\n}\n");
        return out.toString();
    }

    /** One rule per address family: {@code ip daddr { ... } verdict}, ranges inside another one of the list left out. */
    private static void match(StringBuilder out, List<Cidr> ranges, String verdict) {
        for (boolean v4 : List.of(true, false)) {
            List<String> elements = outermost(ranges.stream().filter(c -> c.ipv4() == v4).toList());
            if (!elements.isEmpty()) {
                out.append("    ").append(v4 ? "ip" : "ip6").append(" daddr { ").append(String.join(", ", elements))
                        .append(" } ").append(verdict).append('\n');
            }
        }
    }

    /** nft refuses overlapping intervals in one set: keeps each range not inside another (and each once). */
    private static List<String> outermost(List<Cidr> ranges) {
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            Cidr range = ranges.get(i);
            int at = i;
            Predicate<Integer> covers = j -> j != at && ranges.get(j).contains(range)
                    && (!range.contains(ranges.get(j)) || j < at);
            boolean inside = java.util.stream.IntStream.range(0, ranges.size()).boxed().anyMatch(covers);
            if (!inside) {
                kept.add(range.toString());
            }
        }
        return kept;
    }
}
