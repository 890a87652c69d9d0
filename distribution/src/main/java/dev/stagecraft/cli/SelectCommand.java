package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.selection.Selection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
        try (Stagecraft stagecraft = cli.open(global, false)) {
            Selection selection = stagecraft.select(wanted);
            if (global.json) {
                cli.printJson(Json.selection(selection));
            } else if (explain) {
                cli.out.print(selection.explain());
            } else {
                cli.out.println(selection.chosenKind().orElse("none"));
            }
            if (selection.chosenKind().isEmpty()) {
                cli.err.println("stagecraft: " + ErrorCode.NO_PROVIDER + ": " + selection.noProviderMessage());
                return ExitCodes.NO_ENVIRONMENT;
            }
            return 0;
        }
    }
}
