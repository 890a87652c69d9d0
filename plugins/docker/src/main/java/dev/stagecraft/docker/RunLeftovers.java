package dev.stagecraft.docker;

/**
 * The shell fragment that kills what a finished (or timed-out) command left running in its container, so that
 * nothing of a run outlives it, as in the sandbox. It runs at the end of the exec wrapper (and of the timeout's
 * kill), with {@code me} set to the command's session id, and kills, with SIGKILL:
 * <ul>
 *   <li>every process of session {@code me}: background children, orphaned or not;</li>
 *   <li>every process reparented to PID 1 (docker-init) outside PID 1's own session (the init command) and outside
 *       the sessions of commands still running (their PIDs are in {@code /tmp/.stagecraft-exec-*.pid}): a child that
 *       daemonised (double fork, setsid), whatever signals it ignores.</li>
 * </ul>
 * It repeats up to five passes, since a killed daemon's children are reparented to PID 1 in turn. Only shell
 * built-ins and {@code kill} run, so it costs a few milliseconds; its errors go nowhere (the command's stderr
 * stays the command's).
 *
 * <p>A process's session and parent come from {@code /proc/PID/stat}, read to its end: the name in it is the
 * program's file name, which may hold a newline (cutting the line) and {@code ") "} (ending the name early), so the
 * fields are taken after the last {@code ") "} of the whole file. Processes that are never killed are not read at
 * all: PID 1, the sweeping shell, its parent, and the exec agent ({@code SC_AGENT}, which the agent exports for its
 * commands' wrappers; it is in PID 1's session). Under gVisor every byte the shell's {@code read} takes is a system
 * call, some 9 ms per stat file, so with the agent serving one command nothing is read.
 */
final class RunLeftovers {
    static final String SWEEP = "{ keep=' '; for pf in /tmp/.stagecraft-exec-*.pid; do [ -f \"$pf\" ] && read -r x < \"$pf\""
            + " && keep=\"$keep$x \"; done; n=0; while [ $n -lt 5 ]; do n=$((n+1)); v=; for d in /proc/[0-9]*; do"
            + " p=${d#/proc/}; case \" 1 $$ $PPID ${SC_AGENT:-} \" in *\" $p \"*) continue;; esac;"
            + " { read -r s && while read -r t; do s=\"$s $t\"; done; } < \"$d/stat\" || continue; s=${s##*) }; set -- $s;"
            + " if [ \"$1\" != Z ] && [ \"$4\" != 1 ] && { [ \"$4\" = \"$me\" ] ||"
            + " { [ \"$2\" = 1 ] && [ \"${keep#* $4 }\" = \"$keep\" ]; }; }; then v=\"$v $p\"; fi; done;"
            + " [ -z \"$v\" ] && break; kill -s KILL $v; done; } 2>/dev/null";

    private RunLeftovers() {
    }
}
