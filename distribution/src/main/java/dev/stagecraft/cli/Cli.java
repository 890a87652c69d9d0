package dev.stagecraft.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What every command shares: its streams, its environment, opening the core, and printing JSON. */
final class Cli {
    static final int EXIT_USAGE = 2;
    static final int EXIT_NO_ENVIRONMENT = 125;

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> environment;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    Cli(PrintStream out, PrintStream err, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
    }

    /**
     * Opens the core with the installation's configuration and plugins, printing plugin problems as warnings.
     * Commands about one environment kind pass {@code reconcileAll} false; those listing or finding
     * environments by id pass true.
     */
    Stagecraft open(GlobalOptions options, boolean reconcileAll) {
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
        Stagecraft stagecraft = Stagecraft.builder()
                .home(home)
                .configFile(config)
                .pluginsDirectory(options.pluginsDir)
                .stateDirectory(options.stateDir)
                .environment(environment)
                .background(false)
                .reconcileAtStart(reconcileAll)
                .build();
        for (String problem : stagecraft.problems()) {
            err.println("stagecraft: warning: " + problem);
        }
        return stagecraft;
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

    /** The exit code for an error: 2 for bad input, 125 when run could not make an environment, else 1. */
    static int exitCode(StagecraftException e, boolean run) {
        switch (e.code()) {
            case INVALID_REQUIREMENT:
            case INVALID_CONFIGURATION:
            case PATH_ESCAPE:
                return EXIT_USAGE;
            default:
                return run ? EXIT_NO_ENVIRONMENT : 1;
        }
    }
}
