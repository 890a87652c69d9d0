package dev.stagecraft.cli;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.selection.Selection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.Optional;
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
        Optional<ServerClient> server = ServerClient.of(cli, global);
        if (server.isPresent()) {
            return remote(server.get(), request);
        }
        try (Stagecraft stagecraft = cli.open(global, false)) {
            cli.step(ExitCodes.Step.CREATE);
            Selection selection = stagecraft.select(wanted);
            if (explain && !global.json) {
                cli.err.print(selection.explain());
            }
            Progress.creating(cli, stagecraft, selection, global.json);
            try (Lease lease = stagecraft.manager().acquire(selection)) {
                cli.step(ExitCodes.Step.EXEC);
                ExecResult result = global.json ? lease.execute(request)
                        : lease.execute(request, ExecOptions.streamTo(cli.out, cli.err));
                cli.step(ExitCodes.Step.OTHER);
                return exec.finish(cli, result, document(lease.kind(), lease.id(), result,
                        explain ? Json.selection(selection) : null));
            }
        }
    }

    /** POST /v1/run, streamed; with --explain, POST /v1/select first for the same requirement. */
    private int remote(ServerClient server, ExecRequest request) {
        Map<String, Object> body = exec.toJson(request);
        Map<String, Object> wanted = requirement.toJson();
        body.put("requirement", wanted);
        cli.step(ExitCodes.Step.CREATE);
        Map<String, Object> selection = null;
        if (explain) {
            selection = server.object("POST", "/v1/select", wanted);
            Object explanation = selection.remove("explanation");
            if (!global.json) {
                cli.err.print(explanation);
            }
        }
        ServerClient.Ran ran = server.execute("/v1/run", body, () -> cli.step(ExitCodes.Step.EXEC),
                global.json ? null : ExecOptions.streamTo(cli.out, cli.err));
        cli.step(ExitCodes.Step.OTHER);
        return exec.finish(cli, ran.result(), document(ran.kind(), ran.environmentId(), ran.result(), selection));
    }

    /** The --json document (null without --json): the run's result, with the selection when --explain asked. */
    private Map<String, Object> document(String kind, String id, ExecResult result, Map<String, Object> selection) {
        if (!global.json) {
            return null;
        }
        Map<String, Object> document = Json.run(kind, id, result);
        if (selection != null) {
            document.put("selection", selection);
        }
        return document;
    }
}
