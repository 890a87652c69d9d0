package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.selection.Selection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "select", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show which environment kind the requirement would get, without creating anything.",
                "Exits 0 when a kind was chosen, 125 when none can serve the requirement."})
final class SelectCommand implements Callable<Integer> {
    @Mixin RequirementOptions requirement;
    @Mixin GlobalOptions global;

    @Option(names = "--explain", description = "Show every candidate: the stage that dropped it and why, or its score per scorer.")
    boolean explain;

    private final Cli cli;

    SelectCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        var wanted = requirement.toRequirement();
        Optional<ServerClient> server = ServerClient.of(cli, global);
        Map<String, Object> document;
        Object explanation;
        if (server.isPresent()) {
            // the server's answer is this document plus the explanation's text
            document = server.get().object("POST", "/v1/select", requirement.toJson());
            explanation = document.remove("explanation");
        } else {
            try (Stagecraft stagecraft = cli.open(global, false)) {
                Selection selection = stagecraft.select(wanted);
                document = Json.selection(selection);
                explanation = selection.explain();
            }
        }
        Object chosen = document.get("chosen");
        if (global.json) {
            cli.printJson(document);
        } else if (explain) {
            cli.out.print(explanation);
        } else {
            cli.out.println(chosen == null ? "none" : chosen);
        }
        if (chosen == null) {
            Object error = document.get("error");
            cli.err.println("stagecraft: " + ErrorCode.NO_PROVIDER + ": "
                    + (error instanceof Map ? ((Map<?, ?>) error).get("message") : "no environment kind fits"));
            return ExitCodes.NO_ENVIRONMENT;
        }
        return 0;
    }
}
