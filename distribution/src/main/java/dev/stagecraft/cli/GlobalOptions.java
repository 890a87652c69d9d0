package dev.stagecraft.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/** Options every command accepts. */
final class GlobalOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec command;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: $STAGECRAFT_CONFIG, else conf/stagecraft.yaml of the installation).")
    Path config;

    @Option(names = "--plugins-dir", paramLabel = "DIR",
            description = "Load plugins from this folder instead of the configured one.")
    Path pluginsDir;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep environment state here instead of the configured state-dir.")
    Path stateDir;

    @Option(names = "--server", paramLabel = "URL",
            description = {"Send run, select, env and doctor to a running 'stagecraft serve' at URL, e.g. "
                    + "http://127.0.0.1:8700 (default: $STAGECRAFT_SERVER), instead of loading plugins here. "
                    + "The API key comes from $STAGECRAFT_API_KEY only: a flag would show in ps."})
    String server;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    /** The command's name as typed after {@code stagecraft}, e.g. {@code env cp}. */
    String commandName() {
        return command.qualifiedName(" ").replaceFirst("^stagecraft ", "");
    }
}
