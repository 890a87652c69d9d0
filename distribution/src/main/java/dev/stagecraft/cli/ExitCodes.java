package dev.stagecraft.cli;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecResult;

/**
 * The one mapping from how a command line ended to its exit code; README's "Command line" section lists the same.
 * Like {@code docker run}: 125 no environment, 126 the command could not be run in it, and a program that is not
 * there is the command's own 127 (the providers report it as a shell would).
 */
final class ExitCodes {
    static final int OTHER = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    /** {@code --server}: the server could not be reached, did not answer as Stagecraft, or refused the key. */
    static final int SERVER = 4;
    static final int TIMED_OUT = ExecResult.TIMEOUT_EXIT_CODE;
    static final int NO_ENVIRONMENT = 125;
    static final int CANNOT_RUN = 126;

    /** Where a command line was when it failed: the same code means another thing while making an environment. */
    enum Step { OTHER, CREATE, EXEC }

    private ExitCodes() {
    }

    /** The command's own exit code, or 124 when it timed out. */
    static int of(ExecResult result) {
        return result.timedOut() ? TIMED_OUT : result.exitCode();
    }

    static int of(ErrorCode code, Step step) {
        switch (code) {
            case INVALID_REQUIREMENT:
            case INVALID_CONFIGURATION:
            case PATH_ESCAPE:
            case TOO_LARGE:
                return USAGE;
            case NOT_FOUND:
                return NOT_FOUND;
            case NO_PROVIDER:
            case PROVISIONING_FAILED:
                return NO_ENVIRONMENT;
            case EXEC_TIMEOUT:
                return TIMED_OUT;
            case INTERNAL:
                return OTHER;
            default:
                return step == Step.CREATE ? NO_ENVIRONMENT : step == Step.EXEC ? CANNOT_RUN : OTHER;
        }
    }
}
