package com.example.stagecraft.firejail;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import java.util.Optional;

/**
 * How a command ended, read with what only this provider sees: the wrapper's own failure, the cgroup's OOM and pids
 * counters, and SIGXFSZ (the file-size rlimit's signal). Anything else is {@link Terminations}' reading.
 */
final class Outcomes {
    private static final int SIGXFSZ = 25;

    private Outcomes() {
    }

    static ExecResult classify(ExecResult result, FirejailSettings settings, Optional<EnvironmentCgroup> cgroup,
                               long oomBefore, long pidsBefore, String id) {
        if (result.termination() == Termination.TIMEOUT) {
            return result;
        }
        int code = result.exitCode();
        if (code == FirejailCommand.WRAPPER_FAILED && result.stderrText().startsWith(FirejailCommand.WRAPPER_MARKER)) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "firejail environment '" + id + "' could not set up the"
                    + " command: " + result.stderrText().lines().findFirst().orElse("").substring(FirejailCommand.WRAPPER_MARKER.length()));
        }
        if (code != 0 && cgroup.isPresent() && cgroup.get().oomKills() > oomBefore) {
            return limitKilled(result, Terminations.memoryLimit(cgroup.get().memoryLimit()));
        }
        if (code != 0 && cgroup.isPresent() && cgroup.get().pidsLimitHits() > pidsBefore) {
            return limitKilled(result, Terminations.processLimit(settings.processes()));
        }
        if (Terminations.signalOf(code) == SIGXFSZ && settings.fileSize() > 0) {
            return limitKilled(result, Terminations.fileSizeLimit(settings.fileSize()));
        }
        return result;
    }

    private static ExecResult limitKilled(ExecResult result, String detail) {
        return new ExecResult(result.exitCode(), result.stdout(), result.stderr(), result.duration(),
                Termination.LIMIT_KILLED, result.truncated(), detail);
    }
}
