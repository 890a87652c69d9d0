package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.server.ApiKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "keys", mixinStandardHelpOptions = true, description = {"API keys of 'stagecraft serve', kept hashed in "
        + "<state dir>/server/keys.json. A running server sees a change on its next request.",
        "Use a subcommand: create, ls, revoke."},
        subcommands = {KeysCommand.Create.class, KeysCommand.List_.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, ls or revoke");
    }

    static ApiKeys keys(Cli cli, GlobalOptions global) {
        return new ApiKeys(cli.config(global).stateDirectory(), Clock.systemUTC());
    }

    static Map<String, Object> json(ApiKeys.Key key) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", key.id());
        map.put("tenant", key.tenant());
        map.put("created", key.created().toString());
        map.put("operator", key.operator());
        return map;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a key for a tenant and print it: it is shown this once, only its hash is kept.")
    static final class Create implements Callable<Integer> {
        @Option(names = "--tenant", required = true, paramLabel = "NAME", description = "The tenant the key acts for (lower-case letters, digits, '.', '_', '-').")
        String tenant;
        @Option(names = "--operator", description = "Also let the key open the status page (GET / and /v1/status), which shows every tenant's environments.")
        boolean operator;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Create(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            ApiKeys.Created created = keys(cli, global).create(tenant, operator);
            if (global.json) {
                Map<String, Object> document = json(created.key());
                document.put("key", created.secret());
                cli.printJson(document);
            } else {
                cli.out.println(created.secret());
            }
            cli.err.println("stagecraft: " + (operator ? "operator key " : "key ") + created.key().id() + " for tenant " + tenant
                    + ": store it now, it is not shown again");
            return 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List keys: id, tenant, whether it is an operator's, creation time (never the secret).")
    static final class List_ implements Callable<Integer> {
        @Mixin GlobalOptions global;
        private final Cli cli;

        List_(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            var keys = keys(cli, global).list();
            if (global.json) {
                cli.printJson(keys.stream().map(KeysCommand::json).toList());
                return 0;
            }
            String row = "%-14s %-20s %-9s %s";
            cli.out.println(String.format(row, "ID", "TENANT", "OPERATOR", "CREATED"));
            keys.forEach(key -> cli.out.println(String.format(row, key.id(), key.tenant(), key.operator() ? "yes" : "no",
                    key.created())));
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Remove a key; requests with it are refused (401) from then on.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The key's id (keys ls).")
        String id;
        @Mixin GlobalOptions global;
        private final Cli cli;

        Revoke(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            if (!keys(cli, global).revoke(id)) {
                throw new StagecraftException(ErrorCode.NOT_FOUND, "no key with id '" + id + "'");
            }
            if (global.json) {
                cli.printJson(Map.of("revoked", id));
            } else {
                cli.out.println("revoked " + id);
            }
            return 0;
        }
    }
}
