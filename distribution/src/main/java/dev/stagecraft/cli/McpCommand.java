package dev.stagecraft.cli;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.server.McpStdio;
import dev.stagecraft.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;

@Command(name = "mcp", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve MCP (the Model Context Protocol) on standard input and output, for an agent that spawns its "
                + "tools (docs/server.md#mcp): run_code, create_environment, exec, destroy_environment, write_file, "
                + "read_file, list_environments, explain_selection.",
                "Standard output carries only protocol messages; warnings go to standard error. Ends when standard input "
                        + "ends, destroying what a running run_code holds; environments made with create_environment "
                        + "live until their TTL."})
final class McpCommand implements Callable<Integer> {
    @Mixin GlobalOptions global;

    @Option(names = "--tenant", paramLabel = "NAME", defaultValue = "mcp-stdio",
            description = "The tenant label of the environments made here; only its environments are seen (default: ${DEFAULT-VALUE}).")
    String tenant;

    private final Cli cli;

    McpCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerSettings settings = ServerSettings.from(cli.config(global).server());
        // Anything that prints to System.out (a library, a stray println) would corrupt the protocol: the transport
        // writes to the real standard output, and System.out becomes standard error for everyone else.
        OutputStream protocol = cli.out == System.out ? new FileOutputStream(FileDescriptor.out) : cli.out;
        if (cli.out == System.out) {
            System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        }
        try (Stagecraft stagecraft = cli.open(global, true, true)) {
            McpStdio.serve(stagecraft, settings, tenant, new FileInputStream(FileDescriptor.in), protocol);
        }
        return 0;
    }
}
