package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
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
        subcommands = {RunCommand.class, SelectCommand.class, PluginsCommand.class, DoctorCommand.class, EnvCommand.class,
                ServeCommand.class, KeysCommand.class, McpCommand.class},
        footer = {"", "Exit codes: the command's own for run and env exec; 124 timed out; 125 no environment could be made; "
                + "126 the command could not be run in it; 4 the server (--server) could not be reached or refused the key; "
                + "3 no such environment (or file, for env cp); 2 bad input; 1 other errors.", "With --json a failure prints {\"error\":{\"code\":...}} on stdout too.",
                "Set STAGECRAFT_DEBUG=1 to see stack traces."})
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
        boolean json = asksForJson(args);
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            int code = cli.fail(ErrorCode.INVALID_REQUIREMENT, e.getMessage(), json);
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return code;
        });
        commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
            if (environment.containsKey("STAGECRAFT_DEBUG")) {
                e.printStackTrace(err);
            }
            if (e instanceof StagecraftException) {
                return cli.fail((StagecraftException) e, json);
            }
            return cli.fail(ErrorCode.INTERNAL, "internal error: " + e, json);
        });
        return commandLine.execute(args);
    }

    /** Whether {@code --json} was given before {@code --}: known even when the rest of the line does not parse. */
    private static boolean asksForJson(String[] args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("--json")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: run, select, plugins, doctor, env, serve, mcp or keys");
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
