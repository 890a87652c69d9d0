package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.ProviderCapabilities;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What describe() says about network, from network-policy-enforced alone. No cluster needed. */
class TestKubernetesCapabilities {
    @TempDir
    Path stateDir;

    private ProviderCapabilities describe(Map<String, ?> settings) {
        try (KubernetesProvider provider = KubernetesFixtures.provider(stateDir, settings)) {
            return provider.describe();
        }
    }

    @Test
    void withoutEnforcedNetworkPoliciesEveryPodHasNetwork() {
        ProviderCapabilities capabilities = describe(Map.of());
        assertThat(capabilities.alwaysNetworked()).as("eth0 is there, and nothing is known to hold it").isTrue();
        assertThat(capabilities.network()).isTrue();
        assertThat(capabilities.egress()).isEqualTo(EgressControl.NONE);
    }

    @Test
    void enforcedNetworkPoliciesTakeTheNetworkAwayAndHoldEgress() {
        ProviderCapabilities capabilities = describe(Map.of("network-policy-enforced", true));
        assertThat(capabilities.alwaysNetworked()).isFalse();
        assertThat(capabilities.egress()).isEqualTo(new EgressControl(true, true, false));
    }
}
