package dev.stagecraft.docker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * What the manager writes to the exec agent ({@code agent.sh}): a ping, or a command as one line of shell that the agent
 * evaluates in a subshell before it runs the wrapper with the arguments that line set. Requests are kept short (the
 * PID file is the agent's, the default working directory and PATH are named, not spelled out): under gVisor every
 * byte the agent reads costs a system call of some 60 microseconds. Every value is single-quoted ({@code '} becomes {@code '\''}, a newline {@code '"$nl"'}, the
 * agent's variable holding one), so any byte but NUL passes unchanged and the line holds no raw newline. A body of up to
 * {@link #LINE_MAX} bytes goes on the request line, which the agent reads with {@code read -r} (a byte per system call);
 * a longer one, up to {@link #BODY_MAX}, follows a line announcing its length and is read with {@code head -c}.
 *
 * <p>Each request carries a fresh random nonce, which the agent's end marker repeats ({@link MarkerScanner}): the
 * command's own output cannot end the answer early, whatever it prints.
 */
final class AgentRequest {
    /** The longest body sent on the request line itself. */
    static final int LINE_MAX = 2048;
    /** The longest body the agent is given; a larger request (big stdin) goes through an Engine exec instead. */
    static final int BODY_MAX = 1 << 20;

    private static final SecureRandom RANDOM = new SecureRandom();

    private AgentRequest() {
    }

    /** 32 hex digits, fresh for every request. */
    static String newNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Tells the agent to exit, and so its container to stop. */
    static byte[] exit() {
        return "X\n".getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] ping(String nonce) {
        return ("P" + nonce + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The request that runs the command wrapper with {@code wrapperArgs} (environment assignments, then the argv), after
     * the agent's default PATH ({@code "$D"}) when {@code agentPath}, in {@code workdir} (null: /workspace), reading
     * {@code stdin} (none when empty); null when the agent cannot take it: a NUL byte anywhere, a body over
     * {@link #BODY_MAX}, or over {@link #LINE_MAX} while the agent has no {@code head} ({@code longBodies} false).
     */
    static byte[] run(String nonce, String workdir, List<String> wrapperArgs, boolean agentPath, byte[] stdin,
                      boolean longBodies) {
        if (stdin.length > BODY_MAX) {
            return null;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(128 + stdin.length);
        if (workdir != null) {
            body.writeBytes("sc_wd=".getBytes(StandardCharsets.US_ASCII));
            if (!appendQuoted(body, workdir.getBytes(StandardCharsets.UTF_8))) {
                return null;
            }
            body.writeBytes("; ".getBytes(StandardCharsets.US_ASCII));
        }
        if (stdin.length > 0) {
            body.writeBytes("sc_in=".getBytes(StandardCharsets.US_ASCII));
            if (!appendQuoted(body, stdin)) {
                return null;
            }
            body.writeBytes("; ".getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes((agentPath ? "set -- \"$D\"" : "set --").getBytes(StandardCharsets.US_ASCII));
        for (String arg : wrapperArgs) {
            body.write(' ');
            if (!appendQuoted(body, arg.getBytes(StandardCharsets.UTF_8)) || body.size() > BODY_MAX) {
                return null;
            }
        }
        if (body.size() > LINE_MAX && !longBodies) {
            return null;
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream(body.size() + 64);
        if (body.size() <= LINE_MAX) {
            request.writeBytes(("R" + nonce + " ").getBytes(StandardCharsets.US_ASCII));
            request.write(body.toByteArray(), 0, body.size());
            request.write('\n');
        } else {
            request.writeBytes(("L" + nonce + " " + body.size() + "\n").getBytes(StandardCharsets.US_ASCII));
            request.write(body.toByteArray(), 0, body.size());
        }
        return request.toByteArray();
    }

    /** {@code value} as one single-quoted shell word. */
    static byte[] quote(String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length() + 16);
        appendQuoted(out, value.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Appends {@code value} single-quoted, newlines as {@code "$nl"}; false (nothing useful appended) at a NUL byte. */
    private static boolean appendQuoted(ByteArrayOutputStream out, byte[] value) {
        out.write('\'');
        for (byte b : value) {
            switch (b) {
                case 0:
                    return false;
                case '\'':
                    out.write('\'');
                    out.write('\\');
                    out.write('\'');
                    out.write('\'');
                    break;
                case '\n':
                    out.writeBytes("'\"$nl\"'".getBytes(StandardCharsets.US_ASCII));
                    break;
                default:
                    out.write(b);
            }
        }
        out.write('\'');
        return true;
    }
}
