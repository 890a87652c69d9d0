package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

@Command(name = "env", mixinStandardHelpOptions = true, description = {"Environments that outlive one command. They are found again through the "
        + "backends' labels: no hidden state file.", "Use a subcommand: create, ls, exec, status, stop, rm, cp."},
        subcommands = {EnvCommand.Create.class, EnvCommand.List_.class, EnvCommand.Exec.class, EnvCommand.Status.class,
                EnvCommand.Stop.class, EnvCommand.Remove.class, EnvCopyCommand.class})
final class EnvCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, ls, exec, status, stop, rm or cp");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false, description = "Create an environment and print its id. It lives until rm or its TTL.")
    static final class Create implements java.util.concurrent.Callable<Integer> {
        @Mixin RequirementOptions requirement;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Create(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            var wanted = requirement.toRequirement();
            try (Stagecraft stagecraft = cli.open(global, true)) {
                cli.step(ExitCodes.Step.CREATE);
                Progress.creating(cli, stagecraft, wanted, global.json);
                EnvironmentInfo info = stagecraft.manager().create(wanted);
                if (global.json) {
                    cli.printJson(Json.environment(info));
                } else {
                    cli.out.println(info.id());
                }
                return 0;
            }
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List environments, optionally of one kind or carrying labels.")
    static final class List_ implements java.util.concurrent.Callable<Integer> {
        @Mixin GlobalOptions global;
        @Option(names = "--kind", paramLabel = "KIND", description = "Only this kind.")
        String kind;
        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only environments with this label (repeatable).")
        Map<String, String> labels = new LinkedHashMap<>();
        private final Cli cli;

        List_(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            try (Stagecraft stagecraft = cli.open(global, true)) {
                List<EnvironmentInfo> infos = stagecraft.manager().list(Optional.ofNullable(kind), labels);
                if (global.json) {
                    cli.printJson(infos.stream().map(Json::environment).toList());
                    return 0;
                }
                String row = "%-14s %-8s %-8s %-11s %-8s %-8s %-9s %s";
                cli.out.println(String.format(row, "ID", "KIND", "STATUS", "ISOLATION", "AGE", "TTL", "LAST USE", "LABELS"));
                for (EnvironmentInfo info : infos) {
                    Duration sinceUse = info.uptime().minus(Duration.between(info.createdAt(), info.lastUsedAt()));
                    cli.out.println(String.format(row, info.id(), info.kind(), Json.status(info),
                            info.isolation().label(), human(info.uptime()), human(info.ttl()), human(sinceUse) + " ago",
                            info.labels().userLabels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                                    .collect(Collectors.joining(","))));
                }
                return 0;
            }
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false, description = "Run a command in an existing environment; exits with its exit code (124 on timeout, 126 when it could not be run, 3 when there is no such environment).")
    static final class Exec implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "The environment id.")
        String id;
        @Mixin ExecOptions exec;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Exec(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            exec.command = exec.command.subList(Math.min(1, exec.command.size()), exec.command.size());
            var request = exec.toRequest();
            try (Stagecraft stagecraft = cli.open(global, true)) {
                cli.step(ExitCodes.Step.EXEC);
                ExecResult result = stagecraft.manager().execute(id, request);
                cli.step(ExitCodes.Step.OTHER);
                if (global.json) {
                    cli.printJson(Json.run(stagecraft.manager().status(id).kind(), id, result));
                } else {
                    cli.out.write(result.stdout(), 0, result.stdout().length);
                    cli.out.flush();
                    cli.err.write(result.stderr(), 0, result.stderr().length);
                    if (result.timedOut()) {
                        cli.err.println("stagecraft: timed out after " + exec.timeout + "; the command was killed");
                    } else if (!result.detail().isEmpty()) {
                        cli.err.println("stagecraft: " + result.detail());
                    }
                }
                return ExitCodes.of(result);
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show one environment's status and resource usage.")
    static final class Status implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The environment id.")
        String id;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Status(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            try (Stagecraft stagecraft = cli.open(global, true)) {
                stagecraft.manager().usage(id);
                EnvironmentInfo info = stagecraft.manager().status(id);
                if (global.json) {
                    cli.printJson(Json.environment(info));
                } else {
                    Json.environment(info).forEach((key, value) -> {
                        if (value != null) {
                            cli.out.println(key + ": " + value);
                        }
                    });
                }
                return 0;
            }
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop what runs in an environment; its workspace is kept and exec starts it again.")
    static final class Stop implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The environment id.")
        String id;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Stop(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            try (Stagecraft stagecraft = cli.open(global, true)) {
                stagecraft.manager().stop(id);
                EnvironmentInfo info = stagecraft.manager().status(id);
                if (global.json) {
                    cli.printJson(Json.environment(info));
                } else {
                    cli.out.println(id + " " + Json.status(info));
                }
                return 0;
            }
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Destroy environments: every process, file and cgroup of each is removed.")
    static final class Remove implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "ID", arity = "1..*", description = "Environment ids.")
        List<String> ids;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Remove(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            List<String> removed = new java.util.ArrayList<>();
            List<String> missing = new java.util.ArrayList<>();
            try (Stagecraft stagecraft = cli.open(global, true)) {
                for (String id : ids) {
                    (stagecraft.manager().destroy(id) ? removed : missing).add(id);
                }
            }
            String notFound = missing.stream().map(id -> "no environment with id '" + id + "'").collect(Collectors.joining("; "));
            if (global.json) {
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("removed", removed);
                document.put("missing", missing);
                if (!missing.isEmpty()) {
                    document.put("error", Json.error(ErrorCode.NOT_FOUND, notFound, ExitCodes.NOT_FOUND));
                }
                cli.printJson(document);
            } else {
                removed.forEach(id -> cli.out.println("removed " + id));
            }
            if (missing.isEmpty()) {
                return 0;
            }
            cli.err.println("stagecraft: " + ErrorCode.NOT_FOUND + ": " + notFound);
            return ExitCodes.NOT_FOUND;
        }
    }

    static String human(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 7200) {
            return seconds / 60 + "m";
        }
        return seconds / 3600 + "h";
    }
}
