package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.manager.EnvironmentInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What one request or tool call did, filled in by its handler as it learns it (the level, the environment, the
 * command or path, how it ended) and written to the {@link AuditTrail} once its answer is known, when the level is
 * critical. Never the command's stdin, environment values or output.
 */
final class AuditRecord {
    static final int MOST_ARGUMENTS = 100;
    static final int MOST_ARGUMENT_CHARS = 1000;

    private String level = "";
    private String environment = "";
    private String kind = "";
    private List<String> argv;
    private String path;
    private Integer exitCode;
    private String termination;
    private String error;

    /** The level a requirement asks for. */
    AuditRecord level(SecurityLevel wanted) {
        level = wanted.label();
        return this;
    }

    /** An existing environment: its id, kind and the level it was made at. */
    AuditRecord environment(EnvironmentInfo info) {
        level = info.labels().get(Labels.SECURITY_LEVEL).orElse("");
        return environment(info.id(), info.kind());
    }

    AuditRecord environment(String id, String kind) {
        this.environment = id;
        this.kind = kind;
        return this;
    }

    AuditRecord argv(List<String> argv) {
        this.argv = argv;
        return this;
    }

    AuditRecord path(String path) {
        this.path = path;
        return this;
    }

    /** Runs a command, recording its exit code, or the error it failed with (rethrown). */
    ExecResult command(Supplier<ExecResult> run) {
        try {
            ExecResult result = run.get();
            exitCode = result.exitCode();
            termination = result.termination().name();
            return result;
        } catch (StagecraftException e) {
            failed(e.code());
            throw e;
        } catch (RuntimeException e) {
            failed(ErrorCode.INTERNAL);
            throw e;
        }
    }

    void failed(ErrorCode code) {
        error = code.name();
    }

    boolean critical() {
        return level.equals(SecurityLevel.CRITICAL.label());
    }

    /** The record's own fields, in the order the audit line shows them; argv cut to a readable size. */
    Map<String, Object> fields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("level", level);
        fields.put("environment", environment);
        fields.put("kind", kind);
        if (argv != null) {
            fields.put("argv", cut(argv));
        }
        if (path != null) {
            fields.put("path", path);
        }
        if (exitCode != null) {
            fields.put("exitCode", exitCode);
            fields.put("termination", termination);
        }
        if (error != null) {
            fields.put("error", error);
        }
        return fields;
    }

    private static List<String> cut(List<String> argv) {
        List<String> shown = new ArrayList<>();
        for (String argument : argv.subList(0, Math.min(argv.size(), MOST_ARGUMENTS))) {
            shown.add(argument.length() <= MOST_ARGUMENT_CHARS ? argument : argument.substring(0, MOST_ARGUMENT_CHARS)
                    + "...[" + (argument.length() - MOST_ARGUMENT_CHARS) + " more characters]");
        }
        if (argv.size() > MOST_ARGUMENTS) {
            shown.add("...[" + (argv.size() - MOST_ARGUMENTS) + " more arguments]");
        }
        return shown;
    }
}
