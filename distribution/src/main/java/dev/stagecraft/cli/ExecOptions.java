package dev.stagecraft.cli;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.StagecraftException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The flags of one command execution, shared by run and env exec. */
final class ExecOptions {
    @Option(names = "--timeout", paramLabel = "DURATION", description = "Kill the command after this long, e.g. 30s (default: ${DEFAULT-VALUE}).", defaultValue = "30s")
    String timeout;

    @Option(names = "--output-limit", paramLabel = "SIZE", description = "Keep at most this much of stdout and of stderr each (default: ${DEFAULT-VALUE}).", defaultValue = "1m")
    String outputLimit;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "An environment variable for the command (repeatable). Nothing else is passed in.")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory, relative to the workspace.")
    String workdir;

    @Option(names = {"-i", "--stdin"}, description = "Feed this process's standard input to the command.")
    boolean stdin;

    @Parameters(paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    ExecRequest toRequest() {
        if (command.isEmpty()) {
            throw StagecraftException.invalidRequirement("missing command: give it after --, e.g. -- sh -c 'echo hi'");
        }
        ExecRequest.Builder builder = ExecRequest.builder(command)
                .timeout(Quantities.parseDuration("--timeout", timeout))
                .outputLimit(Quantities.parseBytes("--output-limit", outputLimit))
                .env(env)
                .workingDir(workdir);
        if (stdin) {
            try {
                builder.stdin(System.in.readAllBytes());
            } catch (IOException e) {
                throw StagecraftException.invalidRequirement("cannot read standard input: " + e.getMessage());
            }
        }
        return builder.build();
    }
}
