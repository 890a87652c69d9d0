package dev.stagecraft.lambda;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The event the provider's bootstrap reads: one JSON object of plain members whose texts are all base64, so that a
 * POSIX shell takes it apart exactly (no quote, comma or brace inside a value). {@code argv} and {@code env} are each
 * one list of shell words, every word single-quoted here, which the bootstrap hands to {@code eval "set -- ..."}: one
 * decoding for the whole command line instead of one per word. One member per line, though the bootstrap does not
 * rely on it.
 *
 * <pre>
 * {"op":"exec",                       exec | put | get
 * "argv":"J3NoJyAnLWMnICdlY2hvIGhpJw==",   'sh' '-c' 'echo hi'
 * "env":"J1BBVEg9L3Vzci9iaW4n",       'PATH=/usr/bin': nothing else is set
 * "stdin":"",                         standard input (exec), the file's bytes (put)
 * "workingDir":"",                    relative to /tmp/workspace (exec)
 * "path":"",                          relative to /tmp/workspace (put, get)
 * "timeoutMs":30000,
 * "outputLimit":1048576}              most bytes kept of stdout and of stderr (exec), of the file (get)
 * </pre>
 */
final class CommandEvent {
    private CommandEvent() {
    }

    static byte[] exec(List<String> argv, Map<String, String> env, byte[] stdin, String workingDir, long timeoutMs,
                       long outputLimit) {
        StringBuilder envWords = new StringBuilder();
        env.forEach((name, value) -> envWords.append(quoted(name + "=" + value)).append(' '));
        StringBuilder argvWords = new StringBuilder();
        argv.forEach(arg -> argvWords.append(quoted(arg)).append(' '));
        return event("exec", b64(argvWords.toString()), b64(envWords.toString()), stdin, workingDir, "", timeoutMs,
                outputLimit);
    }

    static byte[] put(String path, byte[] content, long timeoutMs) {
        return event("put", "", "", content, "", path, timeoutMs, 0);
    }

    static byte[] get(String path, long maxBytes, long timeoutMs) {
        return event("get", "", "", new byte[0], "", path, timeoutMs, maxBytes);
    }

    private static byte[] event(String op, String argv, String env, byte[] stdin, String workingDir, String path,
                                long timeoutMs, long outputLimit) {
        String stdinText = Base64.getEncoder().encodeToString(stdin);
        StringBuilder json = new StringBuilder(stdinText.length() + argv.length() + env.length() + 200);
        json.append("{\"op\":\"").append(op).append("\",\n")
                .append("\"argv\":\"").append(argv).append("\",\n")
                .append("\"env\":\"").append(env).append("\",\n")
                .append("\"stdin\":\"").append(stdinText).append("\",\n")
                .append("\"workingDir\":\"").append(b64(workingDir)).append("\",\n")
                .append("\"path\":\"").append(b64(path)).append("\",\n")
                .append("\"timeoutMs\":").append(timeoutMs).append(",\n")
                .append("\"outputLimit\":").append(outputLimit).append("}\n");
        return json.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** One shell word: the text in single quotes, each quote inside it closed, escaped and reopened. */
    static String quoted(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
