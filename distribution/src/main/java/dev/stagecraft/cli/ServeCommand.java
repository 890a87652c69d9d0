package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.server.ServerSettings;
import dev.stagecraft.server.StagecraftServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the HTTP/JSON API (docs/server.md) until SIGTERM or SIGINT. Every /v1 call needs an API key "
                + "from 'stagecraft keys create'. The reaper runs here: environments die on their TTL and idle timeout.",
                "On a signal it stops accepting, lets running requests finish (server.stop-grace), then closes.",
                "Plain HTTP, for loopback; with server.tls.keystore and server.tls.password-file in the configuration it "
                        + "answers HTTPS only, and takes a renewed key store without a restart; with server.tls.client-ca "
                        + "every client must show a certificate that CA signed."})
final class ServeCommand implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (default: the configuration's server.listen, 127.0.0.1:8700); port 0 picks a free one.")
    String listen;

    private final Cli cli;

    ServeCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerSettings settings = ServerSettings.from(cli.config(global).server());
        InetSocketAddress address = address(listen != null ? listen : settings.listen());
        Stagecraft stagecraft = cli.open(global, true, true);
        StagecraftServer server;
        try {
            server = StagecraftServer.start(stagecraft, settings, address, cli.err);
        } catch (StagecraftException e) {
            stagecraft.close();
            throw e;
        } catch (IOException | RuntimeException e) {
            stagecraft.close();
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot listen on " + address.getHostString() + ":"
                    + address.getPort() + ": " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stagecraft.close();
            stopped.countDown();
        }, "stagecraft-stop"));
        cli.out.println("listening on " + (settings.tls().isPresent() ? "https" : "http") + "://" + address.getHostString() + ":" + server.address().getPort());
        cli.out.flush();
        stopped.await();
        return 0;
    }

    /** {@code HOST:PORT}, {@code [IPv6]:PORT}; one line naming the flag when it is neither. */
    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon <= 0 ? "" : text.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
        String port = colon < 0 ? "" : text.substring(colon + 1);
        if (host.isEmpty() || !port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
            throw StagecraftException.invalidRequirement("--listen: '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8700)");
        }
        return new InetSocketAddress(host, Integer.parseInt(port));
    }
}
