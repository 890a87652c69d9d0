package dev.stagecraft.cli;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.selection.Selection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Select an environment for the requirement, create it, run one command in it, destroy it.",
                "Prints the command's output and exits with its exit code: 124 when it timed out, 125 when no "
                        + "environment could be made, 126 when the command could not be run in it, 2 for bad input."},
        footer = {"", "Example:", "  stagecraft run --explain --security medium -- sh -c 'echo hi'"})
final class RunCommand implements Callable<Integer> {
    @Mixin RequirementOptions requirement;
    @Mixin ExecOptions exec;
    @Mixin GlobalOptions global;

    @Option(names = "--explain", description = "Print why this environment kind was chosen (to stderr).")
    boolean explain;

    private final Cli cli;

    RunCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        EnvironmentRequirement wanted = requirement.toRequirement();
        ExecRequest request = exec.toRequest();
        try (Stagecraft stagecraft = cli.open(global, false)) {
            cli.step(ExitCodes.Step.CREATE);
            Selection selection = stagecraft.select(wanted);
            if (explain && !global.json) {
                cli.err.print(selection.explain());
            }
            Progress.creating(cli, stagecraft, selection, global.json);
            try (Lease lease = stagecraft.manager().acquire(selection)) {
                cli.step(ExitCodes.Step.EXEC);
                ExecResult result = global.json ? lease.execute(request) : lease.execute(request, streamTo(cli.out, cli.err));
                cli.step(ExitCodes.Step.OTHER);
                if (global.json) {
                    var document = Json.run(lease.kind(), lease.id(), result);
                    if (explain) {
                        document.put("selection", Json.selection(selection));
                    }
                    cli.printJson(document);
                } else {
                    cli.out.flush();
                    if (result.truncated()) {
                        cli.err.println("stagecraft: output truncated at " + exec.outputLimit + " per stream");
                    }
                    if (result.timedOut()) {
                        cli.err.println("stagecraft: timed out after " + exec.timeout + "; the command was killed");
                    } else if (!result.detail().isEmpty()) {
                        cli.err.println("stagecraft: " + result.detail());
                    }
                }
                return ExitCodes.of(result);
            }
        }
    }

    private static OutputListener streamTo(PrintStream out, PrintStream err) {
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
}
