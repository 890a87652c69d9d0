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
 */
final class RunLeftovers {
    static final String SWEEP = "{ keep=' '; for pf in /tmp/.stagecraft-exec-*.pid; do [ -f \"$pf\" ] && read -r x < \"$pf\""
            + " && keep=\"$keep$x \"; done; n=0; while [ $n -lt 5 ]; do n=$((n+1)); v=; for d in /proc/[0-9]*; do"
            + " read -r s < \"$d/stat\" || continue; p=${d#/proc/}; s=${s##*) }; set -- $s;"
            + " if [ \"$1\" != Z ] && [ \"$p\" != $$ ] && [ \"$p\" != 1 ] && [ \"$4\" != 1 ] && { [ \"$4\" = \"$me\" ] ||"
            + " { [ \"$2\" = 1 ] && [ \"${keep#* $4 }\" = \"$keep\" ]; }; }; then v=\"$v $p\"; fi; done;"
            + " [ -z \"$v\" ] && break; kill -s KILL $v; done; } 2>/dev/null";

    private RunLeftovers() {
    }
}
