package dev.stagecraft.kvm;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

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

    /** The python guest's user: its home (a tmpfs of its own) and a UTF-8 locale, where the request sets none. */
    @Override
    protected Map<String, String> environmentDefaults() {
        return Map.of("HOME", "/home/sandbox", "LANG", "C.UTF-8");
    }

    @Override
    protected Duration settleTime() {
        return Duration.ofSeconds(30);
    }
}
