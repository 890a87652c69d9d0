package dev.stagecraft.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every command accepts. */
final class GlobalOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: $STAGECRAFT_CONFIG, else conf/stagecraft.yaml of the installation).")
    Path config;

    @Option(names = "--plugins-dir", paramLabel = "DIR",
            description = "Load plugins from this folder instead of the configured one.")
    Path pluginsDir;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep environment state here instead of the configured state-dir.")
    Path stateDir;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;
}
