package dev.stagecraft.kvm;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.time.Duration;

/** The provider contract test kit against the real libvirtd and QEMU: every test boots real VMs. */
class TestKvmProviderContract extends ProviderContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return KvmFixtures.provider(stateDir);
    }

    /** Commands run more slowly in a VM, much more under TCG. */
    @Override
    protected Duration execTimeout() {
        return Duration.ofSeconds(60);
    }

    @Override
    protected Duration settleTime() {
        return Duration.ofSeconds(30);
    }
}
