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
    private static final SharedEmulator EMULATOR = new SharedEmulator(LambdaEmulator.Options.defaults());

    @AfterAll
    static void stopEmulator() {
        EMULATOR.close();
    }

    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return LambdaFixtures.provider(EMULATOR.get(), stateDir);
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
