package dev.stagecraft.tck;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ProviderHealth;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test does when the provider's backend is missing: on a CI machine (the environment variable
 * {@code CI} is set) the test fails, because a skipped contract proves nothing; on a developer's machine it
 * is skipped with the probe's reason and remedies.
 */
public final class BackendRequirement {
    private BackendRequirement() {
    }

    public static void require(EnvironmentProvider provider) {
        ProviderHealth health = provider.probe();
        if (health.available()) {
            return;
        }
        missing("provider '" + provider.kind() + "' is unavailable: " + health.reason()
                + (health.remedies().isEmpty() ? "" : " (remedies: " + String.join("; ", health.remedies()) + ")"));
    }

    /**
     * Something a test needs is missing ({@code message} says what, and how to get it): fails the test under CI,
     * skips it elsewhere. Never returns.
     */
    public static void missing(String message) {
        if (isCi()) {
            Assertions.fail(message + " — failing because CI is set");
        }
        Assumptions.abort(message + " — skipped because CI is not set");
    }

    public static boolean isCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }
}
