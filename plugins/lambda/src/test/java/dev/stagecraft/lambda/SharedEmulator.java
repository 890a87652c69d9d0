package dev.stagecraft.lambda;

import dev.stagecraft.lambda.emulator.LambdaEmulator;

/** One emulator for a test class: started by the first test that asks, closed by the class's {@code @AfterAll}. */
final class SharedEmulator {
    private final LambdaEmulator.Options options;
    private LambdaEmulator emulator;

    SharedEmulator(LambdaEmulator.Options options) {
        this.options = options;
    }

    synchronized LambdaEmulator get() {
        if (emulator == null) {
            emulator = LambdaFixtures.emulator(options);
        }
        return emulator;
    }

    synchronized void close() {
        if (emulator != null) {
            emulator.close();
            emulator = null;
        }
    }
}
