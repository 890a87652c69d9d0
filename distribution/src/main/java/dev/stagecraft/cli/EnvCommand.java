package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.core.Stagecraft;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
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
            cli.step(ExitCodes.Step.CREATE);
            Map<String, Object> environment = answer(cli, global, remote -> remote.create(requirement.toJson()), stagecraft -> {
                Progress.creating(cli, stagecraft, wanted, global.json);
                return Json.environment(stagecraft.manager().create(wanted));
            });
            if (global.json) {
                cli.printJson(environment);
            } else {
                cli.out.println(environment.get("id"));
            }
            return 0;
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
            List<Map<String, Object>> environments = answer(cli, global, remote -> remote.list(kind, labels),
                    stagecraft -> stagecraft.manager().list(Optional.ofNullable(kind), labels).stream()
                            .map(Json::environment).toList());
            if (global.json) {
                cli.printJson(environments);
                return 0;
            }
            String row = "%-14s %-8s %-8s %-11s %-8s %-8s %-9s %s";
            cli.out.println(String.format(row, "ID", "KIND", "STATUS", "ISOLATION", "AGE", "TTL", "LAST USE", "LABELS"));
            for (Map<String, Object> environment : environments) {
                Duration uptime = Duration.ofSeconds(((Number) environment.get("uptimeSeconds")).longValue());
                Duration sinceUse = uptime.minus(Duration.between(Instant.parse((String) environment.get("createdAt")),
                        Instant.parse((String) environment.get("lastUsedAt"))));
                cli.out.println(String.format(row, environment.get("id"), environment.get("kind"),
                        environment.get("status"), environment.get("isolation"), human(uptime),
                        human(Duration.ofSeconds(((Number) environment.get("ttlSeconds")).longValue())),
                        human(sinceUse) + " ago", ((Map<?, ?>) environment.get("labels")).entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","))));
            }
            return 0;
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
            Optional<ServerClient> server = ServerClient.of(cli, global);
            OutputListener live = global.json ? null : ExecOptions.streamTo(cli.out, cli.err);
            if (server.isPresent()) {
                cli.step(ExitCodes.Step.EXEC);
                ServerClient.Ran ran = new RemoteEnvironments(server.get()).exec(id, exec.toJson(request), live);
                cli.step(ExitCodes.Step.OTHER);
                return exec.finish(cli, ran.result(), global.json ? Json.run(ran.kind(), id, ran.result()) : null);
            }
            try (Stagecraft stagecraft = cli.open(global, true)) {
                cli.step(ExitCodes.Step.EXEC);
                ExecResult result = stagecraft.manager().execute(id, request, live);
                cli.step(ExitCodes.Step.OTHER);
                return exec.finish(cli, result, global.json ? Json.run(stagecraft.manager().status(id).kind(), id, result) : null);
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
            Map<String, Object> environment = answer(cli, global, remote -> remote.status(id), stagecraft -> {
                stagecraft.manager().usage(id);
                return Json.environment(stagecraft.manager().status(id));
            });
            if (global.json) {
                cli.printJson(environment);
            } else {
                environment.forEach((key, value) -> {
                    if (value != null) {
                        cli.out.println(key + ": " + value);
                    }
                });
            }
            return 0;
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
            Map<String, Object> environment = answer(cli, global, remote -> remote.stop(id), stagecraft -> {
                stagecraft.manager().stop(id);
                return Json.environment(stagecraft.manager().status(id));
            });
            if (global.json) {
                cli.printJson(environment);
            } else {
                cli.out.println(id + " " + environment.get("status"));
            }
            return 0;
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
            answer(cli, global, remote -> {
                ids.forEach(id -> (remote.remove(id) ? removed : missing).add(id));
                return null;
            }, stagecraft -> {
                ids.forEach(id -> (stagecraft.manager().destroy(id) ? removed : missing).add(id));
                return null;
            });
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

    /**
     * What an env command works on: the server's answer with {@code --server} or {@code $STAGECRAFT_SERVER}, else the
     * core's, opened here and reconciled with every backend.
     */
    static <T> T answer(Cli cli, GlobalOptions global, Function<RemoteEnvironments, T> remote, Function<Stagecraft, T> local) {
        Optional<ServerClient> server = ServerClient.of(cli, global);
        if (server.isPresent()) {
            return remote.apply(new RemoteEnvironments(server.get()));
        }
        try (Stagecraft stagecraft = cli.open(global, true)) {
            return local.apply(stagecraft);
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
