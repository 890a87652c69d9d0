package dev.stagecraft.api;

/** How a command ended. */
public enum Termination {
    /** It exited by itself; the exit code is its own. */
    EXITED,
    /** It was killed by a signal it did not ask for from us (exit code 128 + signal). */
    SIGNALED,
    /** Its timeout passed and its process tree was killed. */
    TIMEOUT,
    /** A resource limit (memory, processes, CPU time, file size) killed it. */
    LIMIT_KILLED,
    /** The environment was stopped or destroyed while it ran. */
    ENVIRONMENT_STOPPED
}
