package dev.stagecraft.lambda;

import java.util.Base64;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * What the bootstrap answers: {@code {"exitCode":N,"termination":"EXITED"|"TIMEOUT"|"MEMORY"|"PROCESSES",
 * "truncated":B,"stdout":B64,"stderr":B64,"error":"","detail":B64}}; MEMORY: the command died of SIGKILL as the kernel
 * counted one more OOM kill, the function's memory limit's; PROCESSES: the command's processes reached the process
 * limit (the bootstrap's watcher saw them there and killed them, or the command failed with them still there),
 * {@code detail} the limit. {@code error} is empty, or says why the call
 * was refused before anything ran: {@code escape} (the path leaves the workspace or goes through a link),
 * {@code missing} (no such file or directory), {@code notfile} (not a regular file), {@code failed} (the bootstrap
 * could not do it).
 */
record CommandOutcome(int exitCode, String termination, boolean truncated, byte[] stdout, byte[] stderr, String error,
                      String detail) {
    static CommandOutcome parse(byte[] payload) {
        JsonNode root = JsonNode.parser().parse(payload);
        if (!root.isObject()) {
            throw new IllegalArgumentException("the answer is not a JSON object");
        }
        return new CommandOutcome(Integer.parseInt(text(root, "exitCode", "0")), text(root, "termination", "EXITED"),
                "true".equals(text(root, "truncated", "false")), bytes(root, "stdout"), bytes(root, "stderr"),
                text(root, "error", ""), new String(bytes(root, "detail"), java.nio.charset.StandardCharsets.UTF_8));
    }

    boolean timedOut() {
        return termination.equals("TIMEOUT");
    }

    boolean memoryKilled() {
        return termination.equals("MEMORY");
    }

    /** Whether the bootstrap killed the command at the process limit, which {@link #detail()} then holds. */
    boolean processLimitKilled() {
        return termination.equals("PROCESSES");
    }

    private static String text(JsonNode root, String name, String fallback) {
        return root.field(name).filter(n -> !n.isNull()).map(n -> n.isBoolean() ? String.valueOf(n.asBoolean())
                : n.isNumber() ? n.asNumber() : n.asString()).orElse(fallback);
    }

    private static byte[] bytes(JsonNode root, String name) {
        return Base64.getDecoder().decode(text(root, name, ""));
    }
}
