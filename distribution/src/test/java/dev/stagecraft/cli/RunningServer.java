package dev.stagecraft.cli;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.server.ApiKeys;
import dev.stagecraft.server.ServerSettings;
import dev.stagecraft.server.StagecraftServer;
import dev.stagecraft.server.Teardown;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real {@code stagecraft serve} in this JVM, on a free loopback port, over the providers of the test class path
 * with a private state folder, for the command line's {@code --server}. Closing it removes what the tests left.
 */
final class RunningServer implements AutoCloseable {
    final Stagecraft stagecraft;
    final StagecraftServer server;
    final String url;
    final String key;

    RunningServer(Path state, Map<String, String> overrides) throws IOException {
        Map<String, String> environment = new HashMap<>(overrides);
        environment.put("STAGECRAFT_STATE_DIR", state.toString());
        StagecraftConfig config = new ConfigLoader(null, environment).load(null);
        stagecraft = Stagecraft.builder().config(config).environment(environment).background(true).build();
        server = StagecraftServer.start(stagecraft, ServerSettings.from(config.server()),
                new InetSocketAddress("127.0.0.1", 0), new PrintStream(OutputStream.nullOutputStream()));
        url = "http://127.0.0.1:" + server.address().getPort();
        key = new ApiKeys(state, Clock.systemUTC()).create("acme").secret();
    }

    /** The command line with {@code $STAGECRAFT_SERVER} and {@code $STAGECRAFT_API_KEY} set for this server. */
    InProcess client(Path state) {
        return new InProcess(state).with(ServerClient.SERVER_VARIABLE, url).with(ServerClient.KEY_VARIABLE, key);
    }

    /** The environments the server holds now. */
    int environments() {
        return stagecraft.manager().list(Optional.empty(), Map.of()).size();
    }

    @Override
    public void close() {
        Teardown.stop(server, stagecraft);
    }
}
