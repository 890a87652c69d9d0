package dev.stagecraft.cli;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.StagecraftException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Base64;
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

    /** {@link #toRequest()}'s request as the server's JSON body (docs/server.md, Routes), durations and sizes as typed. */
    Map<String, Object> toJson(ExecRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("argv", request.argv());
        if (stdin) {
            body.put("stdinBase64", Base64.getEncoder().encodeToString(request.stdin()));
        }
        if (!env.isEmpty()) {
            body.put("env", env);
        }
        request.workingDir().ifPresent(dir -> body.put("workingDir", dir));
        body.put("timeout", timeout);
        body.put("outputLimit", outputLimit);
        return body;
    }

    /** Writes a command's output as it comes, which run and env exec do without --json. */
    static OutputListener streamTo(PrintStream out, PrintStream err) {
        return new OutputListener() {
            @Override
            public void stdout(byte[] chunk, int offset, int length) {
                synchronized (out) {
                    out.write(chunk, offset, length);
                    out.flush();
                }
            }

            @Override
            public void stderr(byte[] chunk, int offset, int length) {
                synchronized (err) {
                    err.write(chunk, offset, length);
                    err.flush();
                }
            }
        };
    }

    /**
     * What run and env exec print once the command has ended, here or through a server: the JSON {@code document}
     * with --json, else (the output was streamed) a line for truncated output, a timeout or how it ended. Returns
     * the exit code.
     */
    int finish(Cli cli, ExecResult result, Map<String, Object> document) {
        if (document != null) {
            cli.printJson(document);
            return ExitCodes.of(result);
        }
        cli.out.flush();
        if (result.truncated()) {
            cli.err.println("stagecraft: output truncated at " + outputLimit + " per stream");
        }
        if (result.timedOut()) {
            cli.err.println("stagecraft: timed out after " + timeout + "; the command was killed");
        } else if (!result.detail().isEmpty()) {
            cli.err.println("stagecraft: " + result.detail());
        }
        return ExitCodes.of(result);
    }
}
