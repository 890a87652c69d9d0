package dev.stagecraft.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TestEgressPolicy {
    @Test
    void rangesAreNormalisedAndBareAddressesAreRangesOfOne() {
        assertThat(Cidr.parse("203.0.113.7/24").toString()).isEqualTo("203.0.113.0/24");
        assertThat(Cidr.parse("198.51.100.2").toString()).isEqualTo("198.51.100.2/32");
        assertThat(Cidr.parse("2001:db8::1/32").toString()).isEqualTo("2001:db8:0:0:0:0:0:0/32");
        assertThat(Cidr.parse("0.0.0.0/0").prefix()).isZero();
    }

    @Test
    void containmentFollowsThePrefix() {
        assertThat(Cidr.parse("10.0.0.0/8").contains(Cidr.parse("10.1.2.0/24"))).isTrue();
        assertThat(Cidr.parse("10.1.2.0/24").contains(Cidr.parse("10.0.0.0/8"))).isFalse();
        assertThat(Cidr.parse("10.0.0.0/8").contains(Cidr.parse("11.0.0.1"))).isFalse();
        assertThat(Cidr.parse("fc00::/7").contains(Cidr.parse("fd12::1"))).isTrue();
        assertThat(Cidr.parse("fc00::/7").contains(Cidr.parse("10.0.0.1"))).isFalse();
    }

    @Test
    void badRangesAndNamesAreOneLineNamingThem() {
        for (String bad : List.of("example.com", "10.0.0.0/33", "10.0.0/8", "::1/129", "10.0.0.0/x", "")) {
            assertThatThrownBy(() -> Cidr.parse(bad)).isInstanceOf(StagecraftException.class)
                    .hasMessageContaining("'" + bad + "' is not an address range")
                    .extracting(e -> ((StagecraftException) e).code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
        }
        for (String bad : List.of("exa mple.com", "-x.com", "10.0.0.1", "a..b", "http://x.com")) {
            assertThatThrownBy(() -> new EgressPolicy(List.of(bad), List.of())).isInstanceOf(StagecraftException.class)
                    .hasMessageContaining("allowed host '" + bad + "' is not a domain name");
        }
        assertThat(new EgressPolicy(List.of("*.Example.COM.", "x.org"), List.of()).allowHosts())
                .containsExactly("*.example.com", "x.org");
    }

    @Test
    void theDeniedRangesParseAndCoverTheMetadataServiceAndLoopback() {
        List<Cidr> denied = EgressPolicy.DENIED_RANGES.stream().map(Cidr::parse).toList();
        for (String address : List.of("169.254.169.254", "127.0.0.1", "10.255.255.53", "172.17.0.1", "192.168.1.1",
                "0.0.0.0", "::1", "fe80::1", "fd00::2")) {
            assertThat(denied).as(address).anyMatch(range -> range.contains(Cidr.parse(address)));
        }
        assertThat(denied).noneMatch(range -> range.contains(Cidr.parse("198.51.100.2")));
    }

    @Test
    void anAllowlistNeedsNetworkAndTravelsThroughTheBuilder() {
        assertThatThrownBy(() -> EnvironmentRequirement.builder().allowCidr("203.0.113.0/24").build())
                .hasMessageContaining("needs network access");
        EnvironmentRequirement r = EnvironmentRequirement.builder().network(true).allowCidr("203.0.113.9/24")
                .allowHost("example.com").build();
        assertThat(r.egress().allowCidrs()).containsExactly("203.0.113.0/24");
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.egress().describe()).isEqualTo("only example.com, 203.0.113.0/24 (and DNS); host, link-local and private ranges denied");
        assertThat(EnvironmentRequirement.builder().network(true).build().egress()).isEqualTo(EgressPolicy.ANY);
    }

    @Test
    void aControlSaysWhatItCannotHold() {
        EgressPolicy cidrs = new EgressPolicy(List.of(), List.of("203.0.113.0/24"));
        EgressPolicy hosts = new EgressPolicy(List.of("example.com"), List.of());
        assertThat(EgressControl.NONE.shortfall(EgressPolicy.ANY)).contains("off the host");
        EgressControl cidrOnly = new EgressControl(true, true, false);
        assertThat(cidrOnly.shortfall(EgressPolicy.ANY)).isNull();
        assertThat(cidrOnly.shortfall(cidrs)).isNull();
        assertThat(cidrOnly.shortfall(hosts)).isEqualTo("cannot limit connections to allowed host names");
        assertThat(new EgressControl(true, false, false).shortfall(cidrs)).isEqualTo("cannot limit connections to allowed address ranges");
    }
}
