package dev.stagecraft.cli;

import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true, description = {"Probe every installed provider: is it usable here, what did it find, and "
        + "when it is not, what to install or start; then reconcile, and say which backend could not list its environments.",
        "Exits 0 when at least one provider is available, else 1."})
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
            EnvironmentManager manager = stagecraft.manager();
            manager.reconcile();
            if (global.json) {
                cli.printJson(providers.stream().map(provider -> {
                    Map<String, Object> map = Json.provider(provider);
                    map.put("reconcileProblem", manager.reconcileProblem(provider.kind()).orElse(null));
                    return map;
                }).toList());
            } else {
                if (providers.isEmpty()) {
                    cli.out.println("no providers installed: put plugin files in " + stagecraft.config().pluginsDirectory());
                }
                for (ProviderReport provider : providers) {
                    cli.out.println((provider.health().available() ? "[ok]   " : "[fail] ") + provider.kind() + " "
                            + provider.version() + ": " + provider.health().reason());
                    provider.health().details().forEach((key, value) -> cli.out.println("         " + key + ": " + value));
                    provider.health().remedies().forEach(remedy -> cli.out.println("         fix: " + remedy));
                    manager.reconcileProblem(provider.kind()).ifPresent(problem ->
                            cli.out.println("         reconcile: " + problem + "; asked again on next use"));
                }
            }
            return providers.stream().anyMatch(p -> p.health().available()) ? 0 : ExitCodes.OTHER;
        }
    }
}
