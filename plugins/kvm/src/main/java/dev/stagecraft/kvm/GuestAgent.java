package dev.stagecraft.kvm;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.PathEscapeException;
import dev.stagecraft.api.StagecraftException;
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

    /** $1 temp dir, $2 cap+1, $3 working dir (relative, may be empty), $4 stdin file (may be empty), $5... argv. */
    static final String EXEC_WRAPPER = String.join("\n",
            "t=$1; limit=$2; rel=$3; input=$4; shift 4",
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
            "mkdir \"$t\" && mkfifo \"$t/o\" \"$t/e\" || exit 125",
            "{ head -c \"$limit\"; cat >/dev/null; } <\"$t/o\" &",
            "{ head -c \"$limit\" >&2; cat >/dev/null; } <\"$t/e\" &",
            "( exec \"$@\" ) >\"$t/o\" 2>\"$t/e\"",
            "rc=$?",
            "wait",
            "rm -rf \"$t\"",
            "exit $rc");

    /** $1 put|get, $2... the path's segments under the workspace. Exit 3: symlink, 2: missing, 4: wrong type. */
    static final String PATH_CHECK = String.join("\n",
            "mode=$1; shift",
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

    ExecResult execute(ExecRequest request, long maxOutput) throws LibvirtException {
        String relative = request.workingDir().map(String::trim).filter(w -> !w.isEmpty() && !w.equals("."))
                .map(w -> WorkspacePath.of(w).relative()).orElse("");
        long limit = Math.min(request.outputLimit(), maxOutput);
        boolean clamped = request.outputLimit() > maxOutput;
        String token = UUID.randomUUID().toString();
        String tempDir = "/tmp/stagecraft-exec-" + token;
        byte[] stdin = request.stdin();
        String stdinFile = "";
        if (stdin.length > INLINE_STDIN_MAX) {
            stdinFile = "/tmp/stagecraft-stdin-" + token;
            writeFile(stdinFile, stdin);
        }
        List<String> args = new ArrayList<>(List.of("/bin/sh", "-c", EXEC_WRAPPER, "stagecraft-exec",
                tempDir, String.valueOf(limit + 1), relative, stdinFile));
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
            killGroup(pid, tempDir, stdinFile);
            status = poll(pid, System.nanoTime() + Duration.ofSeconds(10).toNanos());
            if (status == null) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "command in '" + environmentId
                        + "' did not end within 10 s of being killed at its timeout");
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        byte[] out = decode(status.get("out-data"));
        byte[] err = decode(status.get("err-data"));
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
        return Terminations.ended(code, out, err, took, truncated).withNote(note);
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

    /** Kills the process group that setsid made for the command, and removes its temporary files. */
    private void killGroup(long pid, String tempDir, String stdinFile) throws LibvirtException {
        long killer = spawn("/bin/sh", List.of("-c", "kill -9 -- \"-$1\" 2>/dev/null || kill -9 \"-$1\"; rm -rf \"$2\" $3",
                "stagecraft-kill", String.valueOf(pid), tempDir, stdinFile.isEmpty() ? "" : stdinFile),
                List.of("PATH=" + DEFAULT_PATH), null, false);
        poll(killer, System.nanoTime() + Duration.ofSeconds(5).toNanos());
    }

    private static byte[] decode(Object base64) {
        return base64 instanceof String ? Base64.getDecoder().decode((String) base64) : new byte[0];
    }

    /** Runs a short internal helper and returns its exit code. */
    private int helper(String script, List<String> args) throws LibvirtException {
        List<String> argv = new ArrayList<>(List.of("-c", script, "stagecraft-helper"));
        argv.addAll(args);
        long pid = spawn("/bin/sh", argv, List.of("PATH=" + DEFAULT_PATH), null, true);
        Map<String, Object> status = poll(pid, System.nanoTime() + Duration.ofSeconds(30).toNanos());
        if (status == null) {
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "a file check in '" + environmentId + "' did not finish in 30 s");
        }
        Object code = status.get("exitcode");
        return code instanceof Number ? ((Number) code).intValue() : -1;
    }

    // ---- files ---------------------------------------------------------------------------------------------

    /**
     * Checks {@code path} inside the guest, component by component: any symlink is refused; for a put, missing
     * parent directories are made (each checked again after mkdir).
     */
    private String checkedPath(WorkspacePath path, boolean put) throws LibvirtException {
        List<String> args = new ArrayList<>();
        args.add(put ? "put" : "get");
        args.addAll(path.segments());
        int code = helper(PATH_CHECK, args);
        switch (code) {
            case 0: return WORKSPACE + "/" + path.relative();
            case 3: throw new PathEscapeException(path.relative(), "a symlink on the way is not followed");
            case 2: throw new StagecraftException(ErrorCode.NOT_FOUND, "no file '" + path + "' in the workspace");
            case 4: throw StagecraftException.invalidRequirement("'" + path + "' (or a directory on its way) is not a regular file/directory");
            default: throw new StagecraftException(ErrorCode.EXEC_FAILED, "cannot check '" + path + "' in '"
                    + environmentId + "' (helper exit " + code + ")");
        }
    }

    void putFile(WorkspacePath path, byte[] content) throws LibvirtException {
        writeFile(checkedPath(path, true), content);
    }

    byte[] getFile(WorkspacePath path, long maxBytes) throws LibvirtException {
        String file = checkedPath(path, false);
        long handle = open(file, "r");
        try {
            int cap = (int) Math.max(0, Math.min(maxBytes, Integer.MAX_VALUE - 8));
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
