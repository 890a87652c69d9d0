package dev.stagecraft.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.config.ConfigLoader;
import dev.stagecraft.core.config.StagecraftConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What every command shares: its streams, its environment, opening the core, printing JSON and errors. */
final class Cli {
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> environment;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private ExitCodes.Step step = ExitCodes.Step.OTHER;

    Cli(PrintStream out, PrintStream err, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
    }

    /**
     * Opens the core with the installation's configuration and plugins, printing plugin problems and backends that
     * could not list their environments as warnings.
     * Commands about one environment kind pass {@code reconcileAll} false; those listing or finding
     * environments by id pass true.
     */
    Stagecraft open(GlobalOptions options, boolean reconcileAll) {
        return open(options, reconcileAll, false);
    }

    /** As {@link #open(GlobalOptions, boolean)}; {@code background} runs the reaper and warm pools (the server). */
    Stagecraft open(GlobalOptions options, boolean reconcileAll, boolean background) {
        Stagecraft stagecraft = Stagecraft.builder()
                .config(config(options))
                .environment(environment)
                .background(background)
                .reconcileAtStart(reconcileAll)
                .build();
        for (String problem : stagecraft.problems()) {
            err.println("stagecraft: warning: " + problem);
        }
        for (String problem : stagecraft.manager().reconcileProblems()) {
            err.println("stagecraft: warning: " + problem);
        }
        return stagecraft;
    }

    /** The installation's configuration file (or {@code --config}, or $STAGECRAFT_CONFIG) with the overrides applied. */
    StagecraftConfig config(GlobalOptions options) {
        if (options.server != null) {
            throw StagecraftException.invalidRequirement("--server does not apply to " + options.commandName()
                    + ": it works on this machine's installation (--server applies to run, select, env and doctor)");
        }
        Path home = home();
        Path config = options.config;
        if (config == null && environment.containsKey("STAGECRAFT_CONFIG")) {
            config = Path.of(environment.get("STAGECRAFT_CONFIG"));
        }
        if (config != null && !Files.isRegularFile(config)) {
            throw new StagecraftException(ErrorCode.INVALID_CONFIGURATION, "configuration file " + config + " does not exist");
        }
        if (config == null && home != null) {
            config = home.resolve("conf/stagecraft.yaml");
        }
        StagecraftConfig loaded = new ConfigLoader(home, environment).load(config);
        if (options.stateDir != null) {
            loaded = loaded.withStateDirectory(options.stateDir);
        }
        return options.pluginsDir == null ? loaded : loaded.withPluginsDirectory(options.pluginsDir);
    }

    private Path home() {
        String home = environment.get("STAGECRAFT_HOME");
        return home == null || home.isBlank() ? null : Path.of(home).toAbsolutePath();
    }

    void printJson(Object value) {
        try {
            out.println(json.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new StagecraftException(ErrorCode.INTERNAL, "cannot render JSON: " + e.getOriginalMessage());
        }
    }

    /** Marks what the command does from now on, which decides the exit code of a failure ({@link ExitCodes}). */
    void step(ExitCodes.Step value) {
        step = value;
    }

    /**
     * Reports a failure: one line {@code stagecraft: CODE: message} on stderr and, with {@code --json}, the
     * document {@code {"error":{...}}} on stdout, so that stdout holds one JSON document whatever happens.
     * Returns the exit code.
     */
    int fail(ErrorCode code, String message, boolean asJson) {
        return fail(code, message, asJson, ExitCodes.of(code, step));
    }

    /** As {@link #fail(ErrorCode, String, boolean)}; a server that cannot be used is {@link ExitCodes#SERVER}. */
    int fail(StagecraftException failure, boolean asJson) {
        int exitCode = failure instanceof ServerClient.Unusable ? ExitCodes.SERVER : ExitCodes.of(failure.code(), step);
        return fail(failure.code(), failure.getMessage(), asJson, exitCode);
    }

    private int fail(ErrorCode code, String message, boolean asJson, int exitCode) {
        err.println("stagecraft: " + code + ": " + message);
        if (asJson) {
            printJson(Map.of("error", Json.error(code, message, exitCode)));
        }
        return exitCode;
    }
}
