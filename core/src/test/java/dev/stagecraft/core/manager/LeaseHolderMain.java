package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.Stagecraft;

import java.nio.file.Path;
import java.util.Map;

/**
 * Run in a child JVM by {@link TestEnvironmentManager}: leases a sandbox over the given state folder, prints its id
 * and waits to be killed with SIGKILL, so the lease is never closed and the holder label names a dead process.
 */
public final class LeaseHolderMain {
    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        Stagecraft stagecraft = Stagecraft.builder().stateDirectory(Path.of(args[0])).environment(Map.of()).background(false).build();
        Lease lease = stagecraft.manager().acquire(EnvironmentRequirement.builder().label("holder-test", "yes").build());
        System.out.println("LEASED " + lease.id());
        System.out.flush();
        // blocks until the parent kills this process; reading stdin never returns while the parent holds it open
        while (System.in.read() >= 0) {
            // keep waiting
        }
    }
}
