package dev.stagecraft.lambda;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import dev.stagecraft.tck.ProviderContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The provider contract through the AWS SDK against the emulator: every call signed and checked, every command run by
 * the provider's bootstrap in a sandboxed runtime process that polls the Runtime API.
 */
class TestLambdaProviderContract extends ProviderContract {
    private static LambdaEmulator emulator;

    private static synchronized LambdaEmulator emulator() {
        if (emulator == null) {
            emulator = LambdaFixtures.emulator();
        }
        return emulator;
    }

    @AfterAll
    static void stopEmulator() {
        if (emulator != null) {
            emulator.close();
            emulator = null;
        }
    }

    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return LambdaFixtures.provider(emulator(), stateDir);
    }

    /** What the bootstrap gives every command besides the request's own (LambdaEnvironment.DEFAULT_ENV). */
    @Override
    protected Map<String, String> environmentDefaults() {
        return LambdaEnvironment.DEFAULT_ENV;
    }

    /** A Lambda execution environment takes one invocation at a time: the provider makes calls to a function wait their turn. */
    @Override
    protected boolean oneCallAtATime() {
        return true;
    }
}
