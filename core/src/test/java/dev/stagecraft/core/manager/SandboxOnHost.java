package dev.stagecraft.core.manager;

import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The manager tests drive the real sandbox provider (bubblewrap + cgroups). Where it cannot run, a test fails
 * when {@code CI} is set (CI must have it) and is skipped, with the probe's reason, only on a developer's host.
 */
public final class SandboxOnHost {
    private SandboxOnHost() {
    }

    public static void require(Stagecraft stagecraft) {
        ProviderReport sandbox = stagecraft.providers().stream().filter(p -> p.kind().equals("sandbox")).findFirst()
                .orElseThrow(() -> new AssertionError("the sandbox provider is not on the test class path; providers: "
                        + stagecraft.providers() + ", problems: " + stagecraft.problems()));
        ProviderHealth health = sandbox.health();
        if (health.available()) {
            return;
        }
        String why = "the sandbox cannot run on this host: " + health.reason() + " (remedies: " + health.remedies()
                + ", bwrap on PATH: " + bwrapOnPath() + ")";
        if (System.getenv("CI") != null) {
            fail("CI is set, so the sandbox must work here; " + why);
        }
        assumeTrue(false, why);
    }

    static boolean bwrapOnPath() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "bwrap"))) {
                return true;
            }
        }
        return false;
    }
}
