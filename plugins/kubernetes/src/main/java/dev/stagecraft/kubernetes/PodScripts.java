package dev.stagecraft.kubernetes;

/**
 * The POSIX sh scripts that run inside an environment's pod, each handed to {@code sh -c} by one exec (busybox ash
 * and dash both run them). The image needs {@code sh}, {@code env}, {@code head}, {@code kill}, {@code mkdir},
 * {@code mv}, {@code readlink} and {@code grep}: busybox and Debian's minbase have them.
 *
 * <p><b>Runs.</b> Every command runs under {@link #RUN}. The exec's process is the leader of its own session and
 * process group (the runtime starts it with setsid), and writes its PID to a file under {@link #RUN_DIR}: at the timeout
 * {@link #KILL} kills that group through a second exec, so background children die with it. When the command ends,
 * {@link #SWEEP} kills what it left: its session, and processes reparented to PID 1 in a session of their own that no
 * running command owns (a daemonising double fork). Stdin is a pipe from {@code head -c N}: Kubernetes before 1.29
 * cannot close an exec's stdin (its websocket protocol has no half-close), so the wrapper reads exactly the bytes sent
 * and the command then sees end of input.
 */
final class PodScripts {
    /**
     * The directory of the run files: one PID file per running command, and its out-of-memory note. A tmpfs of its own
     * ({@link PodManifest}), not /tmp: a command that fills /tmp must not keep the next ones from writing theirs.
     */
    static final String RUN_DIR = "/run/stagecraft";
    static final String WORKSPACE = "/workspace";

    /**
     * The pod's main process: sleeps, reaps the orphans that the sweeps kill (it is PID 1 of the container), and ends
     * at once on SIGTERM so that a pod deletion does not wait for its grace period.
     */
    static final String MAIN = "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $!; done";

    /**
     * Kills, with SIGKILL, the processes of session {@code $me} and the orphans (parent PID 1) whose session is
     * neither PID 1's nor a running command's; up to five passes, as killed daemons' children are reparented in turn.
     * Returns 1 when a sixth look still finds such processes (they fork faster than the passes kill). A stat file is
     * read whole and its fields taken after the last ") ", because a program's name may hold a newline or ") ". The
     * sweeping shell and its parent are skipped.
     */
    static final String SWEEP = "sweep() { live=' '; for r in " + RUN_DIR + "/*.pid; do [ -s \"$r\" ] && read -r q < \"$r\""
            + " && live=\"$live$q \"; done; pass=0; while :; do pass=$((pass+1)); doomed=''; for d in /proc/[0-9]*; do"
            + " p=${d#/proc/}; case \" 1 $$ $PPID \" in *\" $p \"*) continue;; esac; st=$(cat \"$d/stat\" 2>/dev/null) || continue;"
            + " st=${st##*) }; set -- $st; [ \"$1\" = Z ] && continue; [ \"$4\" = 1 ] && continue;"
            + " if [ \"$4\" = \"$me\" ]; then doomed=\"$doomed $p\"; elif [ \"$2\" = 1 ]; then case \"$live\" in *\" $4 \"*) ;;"
            + " *) doomed=\"$doomed $p\";; esac; fi; done; [ -n \"$doomed\" ] || return 0; [ $pass -le 5 ] || return 1;"
            + " kill -s KILL $doomed 2>/dev/null; done; }; ";

    /** The memory cgroup's count of OOM kills (v1, then v2), or nothing. */
    private static final String OOM_COUNT = "ooms() { sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory/memory.oom_control"
            + " /sys/fs/cgroup/memory.events 2>/dev/null | head -n 1; }; ";

    /**
     * Runs one command: {@code sh -c RUN sh ID DIR STDIN_BYTES OPEN_FILES FILE_SIZE PROCESSES NAME=VALUE... ARGV...}
     * (PROCESSES 0: no nproc limit). Exit codes
     * of its own: 125 (no run file), 126 (no such working directory); otherwise the command's. When the memory cgroup
     * counted an OOM kill during the run it writes {@code ID.oom}. The fsize limit is set in 512-byte blocks (dash,
     * busybox) and again in 1024-byte blocks where the shell counts those (bash), checked in /proc/self/limits. The
     * nproc limit is set in a subshell for the command alone: the kernel counts it per uid, so the wrapper's own forks
     * after the command (the OOM check, the sweep) must not be held by it while the command's processes fill every slot.
     */
    static final String RUN = SWEEP + OOM_COUNT + "limited() { [ \"$nproc\" = 0 ] || ulimit -u \"$nproc\"; exec env -i \"$@\"; };"
            + " id=$1; d=$2; n=$3; nofile=$4; fsize=$5; nproc=$6; shift 6; me=$$;"
            + " f=" + RUN_DIR + "/$id.pid; echo $$ > \"$f\" || exit 125;"
            + " cd \"$d\" 2>/dev/null || { rm -f \"$f\"; echo \"no such working directory: $d\" >&2; exit 126; };"
            + " ulimit -n \"$nofile\"; ulimit -f $((fsize / 512)); grep -q \"^Max file size  *$fsize \" /proc/$$/limits"
            + " || ulimit -f $((fsize / 1024)); o=$(ooms);"
            + " if [ \"$n\" -gt 0 ]; then head -c \"$n\" | (limited \"$@\"); else (limited \"$@\") </dev/null; fi; rc=$?;"
            + " [ \"$(ooms)\" = \"$o\" ] || : > " + RUN_DIR + "/$id.oom; rm -f \"$f\"; sweep; exit $rc";

    /**
     * The agent: one exec kept open that runs the environment's commands, one at a time, each as {@link #RUN} would
     * run it in an exec of its own (its first argument, {@code $1}, is RUN's text). Each request is one line of
     * single-quoted words, a newline written {@code '"$N"'}: a token, then RUN's arguments, whose third is the
     * command's stdin byte count {@code n}. The agent starts the command in a session of its own ({@code setsid}, which
     * does not fork here, since a child of a shell without job control leads no process group), with the agent's
     * stdout and stderr, and frames its output on both streams with {@code SCB<token>} before it and
     * {@code SCE<token> <exit code>} after it ({@link MarkedStream}). Stdin: none ({@code /dev/null}) when {@code n} is
     * 0; else exactly the {@code n} bytes that follow the request line, read by {@code dd iflag=fullblock} (one read
     * call per block, never past it: the shell's {@code read} takes the line byte by byte, and {@code head -c} would
     * read ahead into the next request), and whatever the command leaves unread is drained before the end marker, so
     * the next request starts where it should. It ends at the end of its input (the stream closed) or at a line it
     * cannot read; exit 3 at once when the image has no {@code setsid} or no {@code dd} that reads exact blocks.
     */
    static final String AGENT = "command -v setsid >/dev/null 2>&1 && printf x | dd bs=1 count=1 iflag=fullblock >/dev/null 2>&1"
            + " || { echo 'the image has no setsid, or no dd that reads exact blocks' >&2; exit 3; };"
            + " r=$1; N='\n'; while IFS= read -r line; do eval \"set -- $line\" || exit 4; t=$1; shift;"
            + " printf 'SCB%s\\n' \"$t\"; printf 'SCB%s\\n' \"$t\" >&2;"
            + " if [ \"$3\" -gt 0 ]; then dd bs=\"$3\" count=1 iflag=fullblock 2>/dev/null"
            + " | { setsid sh -c \"$r\" sh \"$@\"; c=$?; cat >/dev/null; exit $c; }; c=$?;"
            + " else setsid sh -c \"$r\" sh \"$@\" </dev/null; c=$?; fi;"
            + " printf 'SCE%s %s\\n' \"$t\" \"$c\"; printf 'SCE%s %s\\n' \"$t\" \"$c\" >&2; done";

    /** The exit code of {@link #KILL} and {@link #KILL_EVERYTHING} when every process inside was killed. */
    static final int KILLED_EVERYTHING = 3;

    /**
     * Kills every process inside but PID 1 and this shell, in one step of the kernel ({@code kill(-1)} under the task
     * list lock, so nothing forks past it), without a fork, then forgets the runs. Exit {@value #KILLED_EVERYTHING}.
     */
    static final String KILL_EVERYTHING = "kill -s KILL -- -1 2>/dev/null || kill -s KILL -1 2>/dev/null; rm -f " + RUN_DIR
            + "/*.pid; exit " + KILLED_EVERYTHING;

    /**
     * Kills the run {@code $1}: waits up to 5 s for its PID file, kills its process group and itself, then sweeps its
     * session. Exit 0; exit {@value #KILLED_EVERYTHING} when the sweep could not finish, after killing every process
     * inside but PID 1 ({@code kill -KILL -1}, which the kernel does in one step, so nothing forks past it): a timeout
     * is enforced at the price of the environment's other commands. The group is named after {@code --} for dash, and
     * without it for busybox ash, whose built-in {@code kill} refuses {@code --} ("invalid number").
     */
    static final String KILL = SWEEP + "f=" + RUN_DIR + "/$1.pid; i=0; while [ ! -s \"$f\" ] && [ $i -lt 50 ]; do sleep 0.1;"
            + " i=$((i+1)); done; me=$(cat \"$f\" 2>/dev/null) || exit 0; kill -s KILL -- \"-$me\" 2>/dev/null || kill -s KILL \"-$me\" 2>/dev/null;"
            + " kill -s KILL \"$me\" 2>/dev/null; rm -f \"$f\"; sweep && exit 0; " + KILL_EVERYTHING;

    /** Prints {@code oom} and removes the note when run {@code $1} saw an OOM kill. */
    static final String OOM_NOTE = "f=" + RUN_DIR + "/$1.oom; [ -e \"$f\" ] && rm -f \"$f\" && echo oom; exit 0";

    /** Kills every process outside PID 1's session and this exec's own: what stop does to running commands. */
    static final String STOP = "for d in /proc/[0-9]*; do p=${d#/proc/}; case \" 1 $$ $PPID \" in *\" $p \"*) continue;; esac;"
            + " st=$(cat \"$d/stat\" 2>/dev/null) || continue; st=${st##*) }; set -- $st; [ \"$4\" = 1 ] || [ \"$4\" = $$ ]"
            + " || kill -s KILL \"$p\" 2>/dev/null; done; rm -f " + RUN_DIR + "/*.pid; exit 0";

    /**
     * Enters the directories {@code "$@"} but the last one under the workspace, refusing a symlink at each step (exit
     * 3) and, with {@code mk} set, making the missing ones; then checks that the physical directory reached is still
     * in the workspace (exit 3). Exit 4: a missing directory without {@code mk}.
     */
    private static final String ENTER = "cd " + WORKSPACE + " || exit 4; while [ $# -gt 1 ]; do [ -L \"$1\" ] && exit 3;"
            + " if [ ! -e \"$1\" ]; then [ -n \"$mk\" ] || exit 4; mkdir \"$1\" || exit 4; fi; cd \"$1\" 2>/dev/null || exit 4;"
            + " shift; done; case $(pwd -P) in " + WORKSPACE + "|" + WORKSPACE + "/*) ;; *) exit 3;; esac;"
            + " [ -L \"$1\" ] && exit 3; ";

    /**
     * Writes stdin's first {@code $1} bytes to the path {@code $2...}: to a new file (noclobber, so never through a
     * planted symlink) whose opened path is checked, then renamed over the target. Exit 3: a symlink or a way out of
     * the workspace; 4: a directory could not be made; 5: the target is a directory; 6: the write failed.
     */
    static final String PUT = "n=$1; shift; mk=1; " + ENTER + "[ -d \"$1\" ] && exit 5; t=\".stagecraft-put.$$\"; set -C;"
            + " exec 3> \"$t\" || exit 6; set +C; case $(readlink /proc/$$/fd/3) in \"$(pwd -P)/$t\") ;; *) exit 3;; esac;"
            + " head -c \"$n\" >&3 || { rm -f \"$t\"; exit 6; }; exec 3>&-; mv -f \"$t\" \"$1\" || { rm -f \"$t\"; exit 6; }; exit 0";

    /**
     * As {@link #PUT}, with the content given base64-encoded in {@code $1} instead of on stdin: for a command through
     * an agent, whose commands have no stdin. Exit 7: the image has no {@code base64} (write it another way).
     */
    static final String PUT_INLINE = "command -v base64 >/dev/null 2>&1 || exit 7; c=$1; shift; mk=1; " + ENTER
            + "[ -d \"$1\" ] && exit 5; t=\".stagecraft-put.$$\"; set -C; exec 3> \"$t\" || exit 6; set +C;"
            + " case $(readlink /proc/$$/fd/3) in \"$(pwd -P)/$t\") ;; *) exit 3;; esac;"
            + " printf '%s' \"$c\" | base64 -d >&3 || { rm -f \"$t\"; exit 6; }; exec 3>&-;"
            + " mv -f \"$t\" \"$1\" || { rm -f \"$t\"; exit 6; }; exit 0";

    /**
     * Prints the first {@code $1} bytes of the file at the path {@code $2...}, after checking that the file it opened
     * is the one named, inside the workspace. Exit 3: a symlink or a way out; 4: no such file; 5: not a regular file.
     */
    static final String GET = "m=$1; shift; mk=; " + ENTER + "[ -e \"$1\" ] || exit 4; [ -f \"$1\" ] || exit 5;"
            + " exec 3< \"$1\" || exit 4; case $(readlink /proc/$$/fd/3) in \"$(pwd -P)/$1\") ;; *) exit 3;; esac;"
            + " head -c \"$m\" <&3; exit 0";

    /**
     * Prints the pod's use as {@code key value} lines from its cgroups (v1, else v2) and network counters:
     * {@code cpu-ns}, {@code memory}, {@code memory-limit}, {@code pids}, and {@code net RX TX}.
     */
    static final String USAGE = "g=/sys/fs/cgroup; if [ -r $g/cpuacct/cpuacct.usage ]; then echo cpu-ns $(cat $g/cpuacct/cpuacct.usage);"
            + " echo memory $(cat $g/memory/memory.usage_in_bytes); echo memory-limit $(cat $g/memory/memory.limit_in_bytes);"
            + " echo pids $(cat $g/pids/pids.current 2>/dev/null); else echo cpu-ns $(($(sed -n 's/^usage_usec //p' $g/cpu.stat) * 1000));"
            + " echo memory $(cat $g/memory.current); echo memory-limit $(cat $g/memory.max); echo pids $(cat $g/pids.current); fi;"
            + " sed -n 's/^ *eth0: *\\([0-9]*\\) *[0-9]* *[0-9]* *[0-9]* *[0-9]* *[0-9]* *[0-9]* *[0-9]* *\\([0-9]*\\).*/net \\1 \\2/p' /proc/net/dev; exit 0";

    private PodScripts() {
    }
}
