package dev.stagecraft.kvm;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Talks to the QEMU guest agent inside one domain through libvirt ({@code virDomainQemuAgentCommand}):
 * {@code guest-ping}, {@code guest-exec}/{@code guest-exec-status}, and the {@code guest-file-*} commands.
 *
 * <p>Every command runs under a fixed wrapper script, {@link #EXEC_WRAPPER}, started through {@code setsid} so that
 * the command and everything it spawns form one process group that a timeout kills with one signal. The
 * caller's values reach the wrapper only as positional arguments, never spliced into the script. The wrapper
 * enters the working directory one component at a time (refusing symlinks), feeds stdin, and passes stdout
 * and stderr through {@code head -c} so that at most the output cap (+1 byte, to detect truncation) ever
 * travels back; the rest is drained in the guest.
 */
final class GuestAgent {
    static final String WORKSPACE = "/workspace";
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /**
     * Requests to the agent must stay small: qemu-ga 7.2 misreads a request of about 260 KB (a 192 KiB buffer in
     * base64: "QMP input member 'handle' is unexpected") and stops answering at about 700 KB; 128 KiB still works.
     * Stdin above this goes through a guest file instead of input-data, and files are written in chunks of it.
     */
    static final int INLINE_STDIN_MAX = 64 << 10;
    static final int WRITE_CHUNK = 64 << 10;
    /** Replies may be larger (libvirt's 4 MiB string limit applies): files are read in chunks of this size. */
    static final int READ_CHUNK = 1 << 20;
    static final String BAD_WORKDIR = "stagecraft-exec: working directory";
    private static final int AGENT_TIMEOUT_SECONDS = 15;
    private static final int SIGXFSZ = 25;

    /** Where the exec wrapper and the file helpers keep their temporary files: root's alone (mode 700). */
    static final String PRIVATE_DIR = "/run/stagecraft";
    /** The cgroup every command runs in, one child per command (made by the guest's init). */
    static final String COMMANDS_CGROUP = "/sys/fs/cgroup/sandbox";
    /** The last line the exec wrapper adds to stderr: what the command's cgroup counted. */
    static final Pattern LIMIT_TRAILER = Pattern.compile("\nstagecraft-exec: oom_kill=(\\d+) pids_max=(\\d+)\n$");

    /**
     * Drops to the user the guest's init named in {@code /run/stagecraft/run-as} ("uid:gid:home"), when it named
     * one: no capabilities, none to gain (no_new_privs), its limits set first by the shell itself ({@code ulimit}: no
     * process for it). {@code $nofile} is RLIMIT_NOFILE, {@code $fsize} RLIMIT_FSIZE in 512-byte blocks (0: none).
     */
    private static final String DROP_PRIVILEGES = String.join("\n",
            "if [ -r " + PRIVATE_DIR + "/run-as ]; then",
            "  IFS=: read -r uid gid home <" + PRIVATE_DIR + "/run-as",
            "  [ -n \"${HOME+set}\" ] || export HOME=\"$home\"",
            "  [ -n \"${LANG+set}\" ] || export LANG=C.UTF-8",
            "  echo 500 >/proc/self/oom_score_adj",
            "  [ \"${nofile:-0}\" = 0 ] || ulimit -n \"$nofile\" || exit 125",
            "  [ \"${fsize:-0}\" = 0 ] || ulimit -f \"$fsize\" || exit 125",
            "  set -- setpriv --reuid=\"$uid\" --regid=\"$gid\" --clear-groups --inh-caps=-all --bounding-set=-all"
                    + " --no-new-privs -- \"$@\"",
            "fi");

    /**
     * $1 the command's FIFO prefix in {@link #PRIVATE_DIR} ({@code .o} and {@code .e} are added), $2 cap+1, $3
     * working dir (relative, may be empty), $4 stdin file (may be empty), $5 open files limit and $6 file size limit
     * in 512-byte blocks (0: none), $7... argv. The command runs in a cgroup of its own under
     * {@link #COMMANDS_CGROUP} (when the guest has one), which is killed whole when the command ends, taking its
     * detached children with it. Under TCG every process the wrapper starts costs tens of milliseconds, so it
     * starts few: shell built-ins read the cgroup's counters and set the limits.
     */
    static final String EXEC_WRAPPER = String.join("\n",
            "t=$1; limit=$2; rel=$3; input=$4; nofile=$5; fsize=$6; shift 6",
            "if [ -n \"$input\" ]; then exec <\"$input\"; rm -f \"$input\"; fi",
            "cd " + WORKSPACE + " || exit 125",
            "if [ -n \"$rel\" ]; then",
            "  IFS=/; set -f",
            "  for s in $rel; do",
            "    if [ -L \"$s\" ] || ! cd \"./$s\" 2>/dev/null; then",
            "      echo \"" + BAD_WORKDIR + " '$rel' is not a directory in the workspace\" >&2; exit 125",
            "    fi",
            "  done",
            "  unset IFS; set +f",
            "fi",
            "[ -d \"${t%/*}\" ] || mkdir -p -m 700 \"${t%/*}\" || exit 125",
            "mkfifo -m 600 \"$t.o\" \"$t.e\" || exit 125",
            "{ head -c \"$limit\"; cat >/dev/null; } <\"$t.o\" &",
            "{ head -c \"$limit\" >&2; cat >/dev/null; } <\"$t.e\" &",
            "cg=\"\"",
            "if [ -d " + COMMANDS_CGROUP + " ] && mkdir \"" + COMMANDS_CGROUP + "/${t##*/}\" 2>/dev/null; then",
            "  cg=\"" + COMMANDS_CGROUP + "/${t##*/}\"",
            "fi",
            "(",
            "  if [ -n \"$cg\" ]; then echo 0 >\"$cg/cgroup.procs\" || exit 125; fi",
            DROP_PRIVILEGES,
            "  exec \"$@\"",
            ") >\"$t.o\" 2>\"$t.e\"",
            "rc=$?",
            "if [ -n \"$cg\" ]; then",
            "  echo 1 >\"$cg/cgroup.kill\" 2>/dev/null",
            "  while read -r k v; do [ \"$k\" != oom_kill ] || oom=$v; done <\"$cg/memory.events\" 2>/dev/null",
            "  while read -r k v; do [ \"$k\" != max ] || pids=$v; done <\"$cg/pids.events\" 2>/dev/null",
            "fi",
            "wait",
            "if [ -n \"$cg\" ]; then",
            "  i=0; while ! rmdir \"$cg\" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done",
            "  printf '\\nstagecraft-exec: oom_kill=%s pids_max=%s\\n' \"${oom:-0}\" \"${pids:-0}\" >&2",
            "fi",
            "rm -f \"$t.o\" \"$t.e\"",
            "exit $rc");

    /**
     * The file helper, run as root: $1 the path check below, $2 put|get, $3 the staging file (root's, in
     * {@link #PRIVATE_DIR}), $4 the byte cap of a get, $5... the path's segments under the workspace. It connects the
     * staging file (stdin of a put, stdout of a get) and unlinks it, then runs the path check as the commands' user,
     * so that every path is resolved with that user's rights: a symlink swapped in by code inside reaches nothing
     * that code could not reach itself.
     */
    static final String FILE_HELPER = String.join("\n",
            "check=$1; mode=$2; staging=$3; cap=$4; shift 4",
            "if [ \"$mode\" = put ]; then exec <\"$staging\"; else exec >\"$staging\"; fi",
            "rm -f \"$staging\"",
            "nofile=0; fsize=0",
            "set -- /bin/sh -c \"$check\" stagecraft-files \"$mode\" \"$cap\" \"$@\"",
            DROP_PRIVILEGES,
            "exec \"$@\"");

    /**
     * $1 put|get, $2 the byte cap of a get, $3... the path's segments under the workspace. Exit 3: symlink, 2: missing,
     * 4: wrong type, 5: cannot make a directory or write the file. A put copies stdin into the file, a get copies the
     * file (up to the cap) to stdout.
     */
    static final String PATH_CHECK = String.join("\n",
            "mode=$1; cap=$2; shift 2",
            "p=" + WORKSPACE + "; n=$#; i=0",
            "for s in \"$@\"; do",
            "  i=$((i+1)); p=\"$p/$s\"",
            "  if [ -L \"$p\" ]; then exit 3; fi",
            "  if [ $i -lt $n ]; then",
            "    if [ ! -e \"$p\" ]; then",
            "      if [ \"$mode\" = put ]; then mkdir \"$p\" || exit 5; [ -L \"$p\" ] && exit 3; else exit 2; fi",
            "    elif [ ! -d \"$p\" ]; then exit 4; fi",
            "  elif [ \"$mode\" = put ]; then",
            "    if [ -e \"$p\" ] && [ ! -f \"$p\" ]; then exit 4; fi",
            "  else",
            "    [ -e \"$p\" ] || exit 2",
            "    [ -f \"$p\" ] || exit 4",
            "  fi",
            "done",
            "if [ \"$mode\" = put ]; then cat >\"$p\" || exit 5; else head -c \"$cap\" \"$p\" || exit 5; fi",
            "exit 0");

    /** How long a status poll waits for a lost libvirtd connection to come back (a libvirtd restart). */
    static final Duration RECONNECT_WINDOW = Duration.ofSeconds(60);

    /** Looks the domain up again on a fresh connection. */
    @FunctionalInterface
    interface Reconnect {
        Domain domain() throws LibvirtException;
    }

    private Domain domain;
    private final String environmentId;
    private final Reconnect reconnect;
    private boolean reconnected;

    GuestAgent(Domain domain, String environmentId) {
        this(domain, environmentId, null);
    }

    /**
     * With {@code reconnect}, polling a running command's status survives a lost libvirtd connection: libvirtd
     * restarts leave QEMU and the guest agent running, so the command's pid is still valid in the guest.
     */
    GuestAgent(Domain domain, String environmentId, Reconnect reconnect) {
        this.domain = domain;
        this.environmentId = environmentId;
        this.reconnect = reconnect;
    }

    /** Whether a lost libvirtd connection was re-established while this agent worked. */
    boolean reconnected() {
        return reconnected;
    }

    /** One agent command; returns the reply's {@code return} value. */
    Object call(String command, Map<String, ?> arguments, int timeoutSeconds) throws LibvirtException {
        String reply = domain.qemuAgentCommand(AgentMessages.request(command, arguments), timeoutSeconds, 0);
        return AgentMessages.returned(command, reply);
    }

    Object call(String command, Map<String, ?> arguments) throws LibvirtException {
        return call(command, arguments, AGENT_TIMEOUT_SECONDS);
    }

    boolean ping() {
        try {
            call("guest-ping", null, 2);
            return true;
        } catch (LibvirtException | RuntimeException e) {
            return false;
        }
    }

    // ---- exec ----------------------------------------------------------------------------------------------

    ExecResult execute(ExecRequest request, long maxOutput, GuestLimits limits) throws LibvirtException {
        String relative = request.workingDir().map(String::trim).filter(w -> !w.isEmpty() && !w.equals("."))
                .map(w -> WorkspacePath.of(w).relative()).orElse("");
        long limit = Math.min(request.outputLimit(), maxOutput);
        boolean clamped = request.outputLimit() > maxOutput;
        String token = UUID.randomUUID().toString();
        String tempDir = PRIVATE_DIR + "/exec-" + token;
        byte[] stdin = request.stdin();
        String stdinFile = "";
        if (stdin.length > INLINE_STDIN_MAX) {
            stdinFile = PRIVATE_DIR + "/stdin-" + token;
            writeFile(stdinFile, stdin);
        }
        List<String> args = new ArrayList<>(List.of("/bin/sh", "-c", EXEC_WRAPPER, "stagecraft-exec",
                tempDir, String.valueOf(limit + 1), relative, stdinFile, String.valueOf(Math.max(0, limits.openFiles())),
                String.valueOf(fileSizeBlocks(limits))));
        args.addAll(request.argv());
        List<String> env = new ArrayList<>();
        if (!request.env().containsKey("PATH")) {
            env.add("PATH=" + DEFAULT_PATH);
        }
        request.env().forEach((k, v) -> env.add(k + "=" + v));

        long started = System.nanoTime();
        long pid = spawn("/bin/setsid", args, env, stdin.length > 0 && stdinFile.isEmpty() ? stdin : null, true);
        long deadline = started + request.timeout().toNanos();
        Map<String, Object> status = poll(pid, deadline);
        boolean timedOut = false;
        if (status == null) {
            timedOut = true;
            kill(pid, tempDir, stdinFile);
            status = poll(pid, System.nanoTime() + Duration.ofSeconds(10).toNanos());
            if (status == null) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "command in '" + environmentId
                        + "' did not end within 10 s of being killed at its timeout");
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        byte[] out = decode(status.get("out-data"));
        byte[] err = decode(status.get("err-data"));
        long oomKills = 0;
        long pidsRefused = 0;
        Matcher trailer = LIMIT_TRAILER.matcher(new String(err, StandardCharsets.ISO_8859_1));
        if (trailer.find()) {
            oomKills = Long.parseLong(trailer.group(1));
            pidsRefused = Long.parseLong(trailer.group(2));
            err = Arrays.copyOf(err, trailer.start());
        }
        boolean truncated = out.length > limit || err.length > limit
                || Boolean.TRUE.equals(status.get("out-truncated")) || Boolean.TRUE.equals(status.get("err-truncated"));
        out = out.length > limit ? Arrays.copyOf(out, (int) limit) : out;
        err = err.length > limit ? Arrays.copyOf(err, (int) limit) : err;
        String note = clamped ? "output cap lowered to " + maxOutput + " bytes (providers.kvm.max-output)" : "";
        if (timedOut) {
            return Terminations.timedOut(request.timeout(), out, err, took, truncated).withNote(note);
        }
        Object exitCode = status.get("exitcode");
        Object signal = status.get("signal");
        if (exitCode == null && signal instanceof Number) {
            return Terminations.ended(Terminations.exitCodeOf(((Number) signal).intValue()), out, err, took, truncated)
                    .withNote(note);
        }
        int code = exitCode instanceof Number ? ((Number) exitCode).intValue() : -1;
        if (code == 125 && new String(err, StandardCharsets.UTF_8).startsWith(BAD_WORKDIR)) {
            throw StagecraftException.invalidRequirement(new String(err, StandardCharsets.UTF_8).trim());
        }
        String limitHit = limitHit(code, oomKills, pidsRefused, limits);
        if (!limitHit.isEmpty()) {
            return new ExecResult(code, out, err, took, Termination.LIMIT_KILLED, truncated, limitHit).withNote(note);
        }
        return Terminations.ended(code, out, err, took, truncated).withNote(note);
    }

    /** RLIMIT_FSIZE in the shell's 512-byte blocks, rounded up (at least one block), or 0 for none. */
    static long fileSizeBlocks(GuestLimits limits) {
        return limits.fileBytes() > 0 ? (limits.fileBytes() + 511) / 512 : 0;
    }

    /** Which of the guest's limits ended a failed command, as {@link Terminations} words it; empty for none. */
    static String limitHit(int code, long oomKills, long pidsRefused, GuestLimits limits) {
        if (code == 0) {
            return "";
        }
        if (oomKills > 0) {
            return limits.memoryBytes() > 0 ? Terminations.memoryLimit(limits.memoryBytes())
                    : "killed: out of memory (the VM's own memory)";
        }
        if (code == Terminations.exitCodeOf(SIGXFSZ) && limits.fileBytes() > 0) {
            return Terminations.fileSizeLimit(limits.fileBytes());
        }
        if (pidsRefused > 0) {
            return Terminations.processLimit(limits.pids());
        }
        return "";
    }

    private long spawn(String path, List<String> args, List<String> env, byte[] input, boolean capture)
            throws LibvirtException {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("path", path);
        arguments.put("arg", args);
        if (env != null) {
            arguments.put("env", env);
        }
        if (input != null) {
            arguments.put("input-data", Base64.getEncoder().encodeToString(input));
        }
        arguments.put("capture-output", capture);
        Object reply = call("guest-exec", arguments);
        Object pid = AgentMessages.object(reply, "guest-exec reply").get("pid");
        if (!(pid instanceof Number)) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "guest-exec gave no pid: " + reply);
        }
        return ((Number) pid).longValue();
    }

    /** Polls guest-exec-status until the process has exited (its status) or the deadline passes (null). */
    private Map<String, Object> poll(long pid, long deadline) throws LibvirtException {
        long pause = Duration.ofMillis(2).toNanos();
        long maxPause = Duration.ofMillis(40).toNanos();
        while (true) {
            Map<String, Object> status = AgentMessages.object(status(pid), "guest-exec-status reply");
            if (Boolean.TRUE.equals(status.get("exited"))) {
                return status;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, maxPause);
        }
    }

    /**
     * One guest-exec-status. When libvirtd's connection is lost meanwhile, reconnects and asks again (asking is
     * harmless to repeat, unlike guest-exec) until {@link #RECONNECT_WINDOW} passes; without a reconnect, or for
     * any other error, the error is thrown.
     */
    private Object status(long pid) throws LibvirtException {
        Map<String, Object> arguments = Map.of("pid", pid);
        long giveUp = 0;
        while (true) {
            try {
                return call("guest-exec-status", arguments);
            } catch (LibvirtException e) {
                if (reconnect == null || !Libvirt.isConnectionLost(e)) {
                    throw e;
                }
                long now = System.nanoTime();
                if (giveUp == 0) {
                    giveUp = now + RECONNECT_WINDOW.toNanos();
                } else if (now - giveUp > 0) {
                    throw e;
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
                try {
                    domain = reconnect.domain();
                    reconnected = true;
                } catch (LibvirtException again) {
                    if (!Libvirt.isConnectionLost(again)) {
                        throw again;
                    }
                }
            }
        }
    }

    /**
     * Kills the command at its timeout: its cgroup whole (the wrapper then cleans up and reports), or, in a guest
     * without one, the process group that setsid made, wrapper included.
     */
    private void kill(long pid, String tempDir, String stdinFile) throws LibvirtException {
        String cgroup = COMMANDS_CGROUP + "/" + tempDir.substring(tempDir.lastIndexOf('/') + 1);
        long killer = spawn("/bin/sh", List.of("-c", "if [ -d \"$3\" ]; then echo 1 >\"$3/cgroup.kill\"; else"
                        + " kill -9 -- \"-$1\" 2>/dev/null || kill -9 \"-$1\"; rm -f \"$2.o\" \"$2.e\"; fi; [ -z \"$4\" ] || rm -f \"$4\"",
                "stagecraft-kill", String.valueOf(pid), tempDir, cgroup, stdinFile),
                List.of("PATH=" + DEFAULT_PATH), null, false);
        poll(killer, System.nanoTime() + Duration.ofSeconds(5).toNanos());
    }

    private static byte[] decode(Object base64) {
        return base64 instanceof String ? Base64.getDecoder().decode((String) base64) : new byte[0];
    }

    /** A short internal helper's exit code and what it wrote; {@code null} output when it did not finish in time. */
    record HelperResult(int exitCode, String stdout, String stderr) {
    }

    /** Runs a short internal helper as root and waits for it (30 s at most). */
    HelperResult helper(String script, List<String> args) throws LibvirtException {
        return helper(script, args, null);
    }

    /** A helper reading {@code input} (at most {@link #INLINE_STDIN_MAX} bytes) on its standard input. */
    HelperResult helper(String script, List<String> args, byte[] input) throws LibvirtException {
        List<String> argv = new ArrayList<>(List.of("-c", script, "stagecraft-helper"));
        argv.addAll(args);
        long pid = spawn("/bin/sh", argv, List.of("PATH=" + DEFAULT_PATH), input, true);
        Map<String, Object> status = poll(pid, System.nanoTime() + Duration.ofSeconds(30).toNanos());
        if (status == null) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "a helper in '" + environmentId + "' did not finish in 30 s");
        }
        Object code = status.get("exitcode");
        return new HelperResult(code instanceof Number ? ((Number) code).intValue() : -1,
                new String(decode(status.get("out-data")), StandardCharsets.UTF_8),
                new String(decode(status.get("err-data")), StandardCharsets.UTF_8));
    }

    // ---- files ---------------------------------------------------------------------------------------------

    /**
     * Runs the file helper for {@code path}: checks every component under the workspace as the commands' user (any
     * symlink is refused; a put makes missing parent directories), then copies between the file and the staging file.
     */
    private void transfer(WorkspacePath path, boolean put, String staging, long cap) throws LibvirtException {
        List<String> args = new ArrayList<>(List.of(PATH_CHECK, put ? "put" : "get", staging, Long.toString(cap)));
        args.addAll(path.segments());
        HelperResult result = helper(FILE_HELPER, args);
        switch (result.exitCode()) {
            case 0: return;
            case 3: throw new PathEscapeException(path.relative(), "a symlink on the way is not followed");
            case 2: throw new StagecraftException(ErrorCode.NOT_FOUND, "no file '" + path + "' in the workspace");
            case 4: throw StagecraftException.invalidRequirement("'" + path + "' (or a directory on its way) is not a regular file/directory");
            default: throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot " + (put ? "write" : "read") + " '" + path
                    + "' in '" + environmentId + "' (exit " + result.exitCode() + ")"
                    + (result.stderr().isBlank() ? "" : ": " + result.stderr().trim()));
        }
    }

    /** Writes the bytes into a staging file of root's, then the helper copies them into the workspace file. */
    void putFile(WorkspacePath path, byte[] content) throws LibvirtException {
        String staging = PRIVATE_DIR + "/put-" + UUID.randomUUID();
        writeFile(staging, content);
        transfer(path, true, staging, 0);
    }

    /**
     * Opens a staging file first, then the helper copies the workspace file into it (and unlinks it); what the
     * open handle reads is the copy.
     */
    byte[] getFile(WorkspacePath path, long maxBytes) throws LibvirtException {
        String staging = PRIVATE_DIR + "/get-" + UUID.randomUUID();
        int cap = (int) Math.max(0, Math.min(maxBytes, Integer.MAX_VALUE - 8));
        long handle = open(staging, "w+");
        try {
            transfer(path, false, staging, cap);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.min(cap, 1 << 20));
            while (out.size() < cap) {
                int want = Math.min(READ_CHUNK, cap - out.size());
                Map<String, Object> read = AgentMessages.object(call("guest-file-read",
                        ordered("handle", handle, "count", want)), "guest-file-read reply");
                byte[] chunk = decode(read.get("buf-b64"));
                out.write(chunk, 0, Math.min(chunk.length, cap - out.size()));
                if (Boolean.TRUE.equals(read.get("eof")) || chunk.length == 0) {
                    break;
                }
            }
            return out.toByteArray();
        } finally {
            close(handle);
        }
    }

    private void writeFile(String file, byte[] content) throws LibvirtException {
        long handle = open(file, "w");
        try {
            for (int offset = 0; offset < content.length; offset += WRITE_CHUNK) {
                int length = Math.min(WRITE_CHUNK, content.length - offset);
                String b64 = Base64.getEncoder().encodeToString(Arrays.copyOfRange(content, offset, offset + length));
                Map<String, Object> wrote = AgentMessages.object(call("guest-file-write",
                        ordered("handle", handle, "buf-b64", b64)), "guest-file-write reply");
                Object count = wrote.get("count");
                if (!(count instanceof Number) || ((Number) count).intValue() != length) {
                    throw new StagecraftException(ErrorCode.EXEC_FAILED, "short write to " + file + " in '"
                            + environmentId + "': " + wrote);
                }
            }
        } finally {
            close(handle);
        }
    }

    private long open(String file, String mode) throws LibvirtException {
        Object handle = call("guest-file-open", ordered("path", file, "mode", mode));
        if (!(handle instanceof Number)) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "guest-file-open gave no handle: " + handle);
        }
        return ((Number) handle).longValue();
    }

    private void close(long handle) throws LibvirtException {
        call("guest-file-close", Map.of("handle", handle));
    }

    /** Two arguments in this order, as the agent has always been sent them. */
    private static Map<String, Object> ordered(String key1, Object value1, String key2, Object value2) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put(key1, value1);
        arguments.put(key2, value2);
        return arguments;
    }
}
