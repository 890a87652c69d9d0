package dev.stagecraft.cli;

import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.Stagecraft;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.Map;

@Command(name = "stagecraft", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Execution environments for AI tools: states a requirement, gets the fitting environment "
                + "kind (sandbox, docker, kvm, ...), runs the work, cleans up."},
        subcommands = {RunCommand.class, SelectCommand.class, PluginsCommand.class, DoctorCommand.class, EnvCommand.class},
        footer = {"", "Exit codes: the command's own for run and env exec; 124 timed out; 125 no environment could be made; "
                + "2 bad input; 1 other errors.", "Set STAGECRAFT_DEBUG=1 to see stack traces."})
public final class Main implements Runnable {
    @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command line with the given streams and environment; returns the exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err, Map<String, String> environment) {
        Cli cli = new Cli(out, err, environment);
        CommandLine commandLine = new CommandLine(new Main(), factory(cli));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            err.println("stagecraft: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return Cli.EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
            boolean run = line.getCommand() instanceof RunCommand;
            if (environment.containsKey("STAGECRAFT_DEBUG")) {
                e.printStackTrace(err);
            }
            if (e instanceof StagecraftException) {
                StagecraftException failure = (StagecraftException) e;
                err.println("stagecraft: " + failure.describe());
                return Cli.exitCode(failure, run);
            }
            err.println("stagecraft: internal error: " + e);
            return run ? Cli.EXIT_NO_ENVIRONMENT : 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: run, select, plugins, doctor or env");
    }

    private static CommandLine.IFactory factory(Cli cli) {
        CommandLine.IFactory fallback = CommandLine.defaultFactory();
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                try {
                    Constructor<K> constructor = type.getDeclaredConstructor(Cli.class);
                    constructor.setAccessible(true);
                    return constructor.newInstance(cli);
                } catch (NoSuchMethodException e) {
                    return fallback.create(type);
                }
            }
        };
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"stagecraft " + Stagecraft.version()};
        }
    }
}
