package dev.stagecraft.lambda;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.Settings;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.tck.BackendRequirement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** The emulator and providers pointed at it, signing with keys from a credentials file of their own. */
final class LambdaFixtures {
    private LambdaFixtures() {
    }

    /** A started emulator; where bubblewrap is missing, fails under CI and skips elsewhere. */
    static LambdaEmulator emulator() {
        return emulator(LambdaEmulator.Options.defaults());
    }

    static LambdaEmulator emulator(LambdaEmulator.Options options) {
        if (!LambdaEmulator.available()) {
            BackendRequirement.missing("the Lambda emulator runs functions under bubblewrap and prlimit, in cgroups of"
                    + " their own: apt-get install bubblewrap util-linux, and run the tests as root");
        }
        return LambdaEmulator.start(options);
    }

    /** Settings for the emulator, the keys in {@code stateDir/credentials} (profile "test"), commands up to a minute. */
    static Map<String, Object> settings(LambdaEmulator emulator, Path stateDir, String secret) {
        Path file = stateDir.resolve("credentials");
        try {
            Files.writeString(file, "[test]\naws_access_key_id = " + LambdaEmulator.Options.ACCESS_KEY
                    + "\naws_secret_access_key = " + secret + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> settings = new HashMap<>();
        settings.put("region", emulator.options().region());
        settings.put("endpoint", emulator.endpoint().toString());
        settings.put("role", LambdaEmulator.Options.ROLE);
        settings.put("credentials-file", file.toString());
        settings.put("profile", "test");
        settings.put("function-timeout", "60s");
        settings.put("active-timeout", "20s");
        return settings;
    }

    static LambdaProvider provider(LambdaEmulator emulator, Path stateDir) {
        return provider(settings(emulator, stateDir, LambdaEmulator.Options.SECRET_KEY), stateDir);
    }

    static LambdaProvider provider(Map<String, ?> settings, Path stateDir) {
        LambdaProvider provider = new LambdaProvider();
        provider.initialize(new ProviderContext("test", stateDir, new Settings("test", "providers.lambda", settings)));
        return provider;
    }

    static EnvironmentSpec spec(EnvironmentRequirement requirement) {
        String id = "test-" + UUID.randomUUID().toString().substring(0, 12);
        return new EnvironmentSpec(id, requirement, IsolationLevel.VM,
                Labels.of("test", id, Instant.now(), Duration.ofMinutes(5)).with(Labels.USER_PREFIX + "suite", "lambda"));
    }
}
