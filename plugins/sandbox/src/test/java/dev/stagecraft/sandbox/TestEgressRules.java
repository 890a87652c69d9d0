package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EgressPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestEgressRules {
    private static final List<Cidr> HOST = List.of(Cidr.parse("127.0.0.1"), Cidr.parse("192.0.2.2"),
            Cidr.parse("172.17.0.1"), Cidr.parse("fd00::2"), Cidr.parse("2001:db8::5"));

    @Test
    void withoutAnAllowlistEverythingButTheHostAndTheDeniedRangesPasses() {
        String rules = EgressRules.of(EgressPolicy.ANY, List.of(), HOST, "10.0.2.3");
        assertThat(rules).contains("oifname \"lo\" accept\n", "ip daddr 10.0.2.3 udp dport 53 accept\n",
                "ip daddr { 192.0.2.2/32 } reject with icmpx type admin-prohibited\n",
                "ip6 daddr { 2001:db8:0:0:0:0:0:5/128 } reject",
                "ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16,"
                        + " 224.0.0.0/3 } reject with icmpx type admin-prohibited\n",
                "chain permitted {\n    accept\n  }");
        assertThat(rules.indexOf("udp dport 53")).as("DNS before the denied 10/8").isLessThan(rules.indexOf("10.0.0.0/8"));
        assertThat(rules).as("host addresses inside a denied range are not repeated").doesNotContain("172.17.0.1", "fd00:0:0:0:0:0:0:2");
    }

    @Test
    void anAllowlistPassesOnlyWhatItListsAndOpenedRangesSkipTheDenial() {
        EgressPolicy policy = new EgressPolicy(List.of(), List.of("203.0.113.0/24", "203.0.113.7", "198.51.100.2"));
        String rules = EgressRules.of(policy, List.of(Cidr.parse("10.1.0.0/16")), HOST, "10.0.2.3");
        assertThat(rules).contains("ip daddr { 10.1.0.0/16 } goto permitted\n",
                "ip daddr { 203.0.113.0/24, 198.51.100.2/32 } accept\n    reject with icmpx type admin-prohibited\n");
        assertThat(rules.indexOf("goto permitted\n")).as("opened before denied").isLessThan(rules.indexOf("10.0.0.0/8"));
    }

    @Test
    void outermostDropsRangesInsideOthers() {
        assertThat(EgressRules.outermost(List.of(Cidr.parse("10.1.2.0/24"), Cidr.parse("10.0.0.0/8"), Cidr.parse("11.0.0.1"),
                Cidr.parse("10.0.0.0/8")))).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("11.0.0.1"));
    }
}
