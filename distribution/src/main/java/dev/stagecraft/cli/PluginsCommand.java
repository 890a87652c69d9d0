package dev.stagecraft.cli;

import dev.stagecraft.core.ProviderReport;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.plugin.PluginStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "plugins", mixinStandardHelpOptions = true, description = "List plugin files (loaded or skipped, and why) and the providers installed.")
final class PluginsCommand implements Callable<Integer> {
    @Mixin GlobalOptions global;

    private final Cli cli;

    PluginsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        try (Stagecraft stagecraft = cli.open(global, false)) {
            if (global.json) {
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("core", Stagecraft.version());
                document.put("plugins", stagecraft.plugins().stream().map(Json::plugin).toList());
                document.put("providers", stagecraft.providers().stream().map(Json::provider).toList());
                cli.printJson(document);
                return 0;
            }
            cli.out.println("core " + Stagecraft.version() + ", plugins folder: "
                    + (stagecraft.config().pluginsDirectory() == null ? "(none)" : stagecraft.config().pluginsDirectory()));
            for (PluginStatus plugin : stagecraft.plugins()) {
                cli.out.println(plugin.loaded()
                        ? String.format("  %-28s %s %s: provides %s", plugin.file().getFileName(), plugin.id(), plugin.version(), plugin.kinds())
                        : String.format("  %-28s skipped: %s", plugin.file().getFileName(), plugin.problem()));
            }
            cli.out.println("providers:");
            for (ProviderReport provider : stagecraft.providers()) {
                cli.out.println(String.format("  %-10s %-8s %s", provider.kind(), provider.version(), provider.origin()));
            }
            return 0;
        }
    }
}
