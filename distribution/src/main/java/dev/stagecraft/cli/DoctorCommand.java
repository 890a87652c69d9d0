package dev.stagecraft.cli;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true, description = {"Probe every installed provider: is it usable here, what did it find, and "
        + "when it is not, what to install or start; then reconcile, and say which backend could not list its environments.",
        "With --server: the server's providers, probed there (GET /v1/providers); the reconcile is the server's own.",
        "Exits 0 when at least one provider is available, else 1."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin GlobalOptions global;

    private final Cli cli;

    DoctorCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        Optional<ServerClient> server = ServerClient.of(cli, global);
        List<Map<String, Object>> providers;
        String none;
        if (server.isPresent()) {
            providers = server.get().list("/v1/providers");
            none = "no providers installed on the server";
        } else {
            try (Stagecraft stagecraft = cli.open(global, false)) {
                var reports = stagecraft.providers();
                EnvironmentManager manager = stagecraft.manager();
                manager.reconcile();
                providers = reports.stream().map(provider -> {
                    Map<String, Object> map = Json.provider(provider);
                    map.put("reconcileProblem", manager.reconcileProblem(provider.kind()).orElse(null));
                    return map;
                }).toList();
                none = "no providers installed: put plugin files in " + stagecraft.config().pluginsDirectory();
            }
        }
        if (global.json) {
            cli.printJson(providers);
        } else {
            if (providers.isEmpty()) {
                cli.out.println(none);
            }
            providers.forEach(this::print);
        }
        return providers.stream().anyMatch(DoctorCommand::available) ? 0 : ExitCodes.OTHER;
    }

    /** One provider's report ({@link Json#provider}) as lines. */
    private void print(Map<String, Object> provider) {
        cli.out.println((available(provider) ? "[ok]   " : "[fail] ") + provider.get("kind") + " "
                + provider.get("version") + ": " + provider.get("reason"));
        ((Map<?, ?>) provider.get("details")).forEach((key, value) -> cli.out.println("         " + key + ": " + value));
        ((List<?>) provider.get("remedies")).forEach(remedy -> cli.out.println("         fix: " + remedy));
        if (provider.get("reconcileProblem") != null) {
            cli.out.println("         reconcile: " + provider.get("reconcileProblem") + "; asked again on next use");
        }
    }

    private static boolean available(Map<String, Object> provider) {
        return Boolean.TRUE.equals(provider.get("available"));
    }
}
