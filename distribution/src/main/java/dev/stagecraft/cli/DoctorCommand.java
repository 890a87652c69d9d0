package dev.stagecraft.cli;

import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true, description = {"Probe every installed provider: is it usable here, what did it find, and "
        + "when it is not, what to install or start.", "Exits 0 when at least one provider is available, else 1."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin GlobalOptions global;

    private final Cli cli;

    DoctorCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        try (Stagecraft stagecraft = cli.open(global, false)) {
            List<ProviderReport> providers = stagecraft.providers();
            if (global.json) {
                cli.printJson(providers.stream().map(Json::provider).toList());
            } else {
                if (providers.isEmpty()) {
                    cli.out.println("no providers installed: put plugin files in " + stagecraft.config().pluginsDirectory());
                }
                for (ProviderReport provider : providers) {
                    cli.out.println((provider.health().available() ? "[ok]   " : "[fail] ") + provider.kind() + " "
                            + provider.version() + ": " + provider.health().reason());
                    provider.health().details().forEach((key, value) -> cli.out.println("         " + key + ": " + value));
                    provider.health().remedies().forEach(remedy -> cli.out.println("         fix: " + remedy));
                }
            }
            return providers.stream().anyMatch(p -> p.health().available()) ? 0 : ExitCodes.OTHER;
        }
    }
}
