package dev.stagecraft.server;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentInfo;

import java.util.Map;
import java.util.Optional;

/** The end of a test's server: for the server tests' fixture and the command line's {@code --server} tests alike. */
public final class Teardown {
    private Teardown() {
    }

    /** Stops the server, removes every environment the test left, closes the core. */
    public static void stop(StagecraftServer server, Stagecraft stagecraft) {
        server.close();
        try {
            for (EnvironmentInfo info : stagecraft.manager().list(Optional.empty(), Map.of())) {
                stagecraft.manager().destroy(info.id());
            }
        } finally {
            stagecraft.close();
        }
    }
}
