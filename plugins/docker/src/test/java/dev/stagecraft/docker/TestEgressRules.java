package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EgressPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ruleset's order and contents, as nft reads them (the live behaviour is {@link TestDockerEgress}'s). */
class TestEgressRules {
    private static List<Cidr> cidrs(String... ranges) {
        return java.util.Arrays.stream(ranges).map(Cidr::parse).toList();
    }

    @Test
    void withoutAnAllowlistDnsPassesTheDeniedRangesAndTheHostAreRejectedAndTheRestPasses() {
        String script = new EgressRules(EgressPolicy.ANY, cidrs("10.255.255.53"), cidrs("192.0.2.2", "172.17.0.1", "fe80::1"),
                List.of()).script();
        List<String> rules = script.lines().map(String::trim).toList();
        assertThat(rules).containsSubsequence("table inet stagecraft_egress", "delete table inet stagecraft_egress",
                "oif \"lo\" accept", "ct state established,related accept",
                "ip daddr { 10.255.255.53/32 } meta l4proto { tcp, udp } th dport 53 accept");
        String denied4 = rules.stream().filter(r -> r.startsWith("ip daddr") && r.endsWith("admin-prohibited")).findFirst().orElseThrow();
        assertThat(denied4).contains("192.0.2.2/32", "10.0.0.0/8", "169.254.0.0/16", "127.0.0.0/8")
                .as("a host address inside a denied range is left to the range: nft refuses overlaps")
                .doesNotContain("172.17.0.1/32");
        assertThat(rules).anyMatch(r -> r.startsWith("ip6 daddr") && r.contains("fc00:0:0:0:0:0:0:0/7")
                && !r.contains("fe80:0:0:0:0:0:0:1/128"));
        assertThat(script).containsSubsequence("chain allowlist {", "accept", "}");
        assertThat(rules.indexOf(denied4)).isGreaterThan(rules.indexOf("oif \"lo\" accept"));
    }

    @Test
    void anAllowlistAcceptsItsRangesAndRejectsTheRestAfterTheDeniedRanges() {
        String script = new EgressRules(new EgressPolicy(List.of(), List.of("203.0.113.0/24", "198.18.0.3")), List.of(),
                List.of(), List.of()).script();
        assertThat(script).containsSubsequence("reject with icmpx type admin-prohibited", "goto allowlist", "chain allowlist {",
                "ip daddr { 203.0.113.0/24, 198.18.0.3/32 } accept", "reject with icmpx type admin-prohibited");
        assertThat(script).as("no nameserver, no DNS rule").doesNotContain("dport 53");
    }

    @Test
    void openedRangesSkipTheDenialButNotTheAllowlist() {
        String script = new EgressRules(EgressPolicy.ANY, List.of(), List.of(), cidrs("10.1.0.0/16")).script();
        assertThat(script).containsSubsequence("ip daddr { 10.1.0.0/16 } goto allowlist", "10.0.0.0/8");
    }

    @Test
    void theRulesetLoadsIntoNftAsWritten() throws Exception {
        if (ContainerFirewall.unavailable(DockerSettings.from(dev.stagecraft.api.Settings.empty("providers.docker"))) != null) {
            dev.stagecraft.tck.BackendRequirement.missing("nft checks a ruleset as root (apt-get install nftables)");
        }
        String script = new EgressRules(new EgressPolicy(List.of(), List.of("203.0.113.0/24", "2001:db8::/32")),
                cidrs("10.255.255.53", "fd00::53"), cidrs("192.0.2.2", "2001:db8::5"), cidrs("10.1.0.0/16")).script();
        Process check = new ProcessBuilder("nft", "--check", "-f", "-").redirectErrorStream(true).start();
        check.getOutputStream().write(script.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        check.getOutputStream().close();
        String output = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(check.waitFor()).as(output + "\n" + script).isZero();
    }
}
