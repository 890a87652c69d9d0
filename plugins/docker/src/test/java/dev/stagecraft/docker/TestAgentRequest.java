package dev.stagecraft.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent's request encoding, decoded by a real POSIX shell of this host the way the agent reads it (a line with
 * {@code read -r}, a long body with {@code head -c}, then {@code eval}), with a {@code run} that only prints what it
 * was given: every byte but NUL arrives unchanged, and the line holds no raw newline.
 */
class TestAgentRequest {
    private static final String NONCE = AgentRequest.newNonce();
    /** Decodes one request from stdin like agent.sh, and prints the directory and arguments (NUL-ended), then stdin. */
    private static final String DECODER = "nl='\n'\nD='PATH=/default'\n"
            + "run() { printf '%s\\000' \"${sc_wd:-/workspace}\" \"$@\"; printf '%s' \"${sc_in-<no stdin>}\"; }\n"
            + "IFS= read -r l\n"
            + "case $l in R*) b=${l#R}; b=${b#* } ;; L*) c=${l#L}; c=${c#* }; b=$(head -c \"$c\"; printf x); b=${b%x} ;; esac\n"
            + "( command eval \"$b\" && run \"$@\" )\n";

    private static final String NASTY = "it's \"quoted\" $HOME `id` $(id) \\ back\\slash\n\nnew\r\nlines\t'\\''  ünïcødé ☃ "
            + "\u0001\u001e\u007f\u0081\u0082 '\"$nl\"' 'end";

    /** The shells to decode with: this host's sh, and busybox's when installed (the images' agents run both). */
    private static List<List<String>> shells() {
        List<List<String>> shells = new ArrayList<>();
        shells.add(List.of("sh", "-c"));
        for (String busybox : List.of("/bin/busybox", "/usr/bin/busybox")) {
            if (Files.isExecutable(Path.of(busybox))) {
                shells.add(List.of(busybox, "sh", "-c"));
                break;
            }
        }
        return shells;
    }

    private static byte[] decode(List<String> shell, byte[] request) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(shell);
        command.add(DECODER);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().write(request);
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static byte[] expected(String workdir, List<String> args, byte[] stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : concat(List.of(workdir), args)) {
            out.writeBytes(s.getBytes(UTF_8));
            out.write(0);
        }
        out.writeBytes(stdin == null ? "<no stdin>".getBytes(UTF_8) : stdin);
        return out.toByteArray();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void argvEnvironmentAndStdinSurviveEveryByteButNul() throws Exception {
        List<String> args = List.of("PATH=/bin", "V=" + NASTY, "NL=\n", "EMPTY=", "sh", "-c", NASTY, "", "\n", "'", "\\", "--");
        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        for (int b = 1; b < 256; b++) {
            stdin.write(b);
        }
        stdin.writeBytes("\n\n'\n".getBytes(UTF_8));
        byte[] request = AgentRequest.run(NONCE, "/workspace/a dir/\n", args, false, stdin.toByteArray(), true);
        assertThat(request).isNotNull();
        assertThat(request[0]).isEqualTo((byte) 'R');
        assertThat(Arrays.copyOf(request, request.length - 1)).as("one line").doesNotContain((byte) '\n');
        for (List<String> shell : shells()) {
            assertThat(decode(shell, request)).as(String.join(" ", shell))
                    .isEqualTo(expected("/workspace/a dir/\n", args, stdin.toByteArray()));
        }
    }

    @Test
    void theDefaultsAreNamedNotSpelledOutAndNoStdinIsNotAnEmptyStdin() throws Exception {
        byte[] request = AgentRequest.run(NONCE, null, List.of("true"), true, new byte[0], true);
        assertThat(new String(request, UTF_8)).isEqualTo("R" + NONCE + " set -- \"$D\" 'true'\n");
        for (List<String> shell : shells()) {
            assertThat(decode(shell, request)).isEqualTo(expected("/workspace", List.of("PATH=/default", "true"), null));
        }
    }

    @Test
    void aLongBodyFollowsItsLengthAndDecodesTheSame() throws Exception {
        byte[] stdin = new byte[300_000];
        for (int i = 0; i < stdin.length; i++) {
            stdin[i] = (byte) (i % 101 == 0 ? '\n' : i % 89 == 0 ? '\'' : 'a' + i % 26);
        }
        byte[] request = AgentRequest.run(NONCE, null, List.of("cat"), true, stdin, true);
        String head = new String(request, 0, 64, UTF_8);
        assertThat(head).startsWith("L" + NONCE + " ");
        int newline = head.indexOf('\n');
        assertThat(Integer.parseInt(head.substring(NONCE.length() + 2, newline))).isEqualTo(request.length - newline - 1);
        for (List<String> shell : shells()) {
            assertThat(decode(shell, request)).isEqualTo(expected("/workspace", List.of("PATH=/default", "cat"), stdin));
        }
        assertThat(AgentRequest.run(NONCE, null, List.of("cat"), true, stdin, false))
                .as("no head in the image: not through the agent").isNull();
    }

    @Test
    void whatTheAgentCannotTakeIsRefusedForAnExec() {
        assertThat(AgentRequest.run(NONCE, null, List.of("echo", "a\0b"), true, new byte[0], true)).isNull();
        assertThat(AgentRequest.run(NONCE, "/workspace/\0", List.of("true"), true, new byte[0], true)).isNull();
        assertThat(AgentRequest.run(NONCE, null, List.of("cat"), true, new byte[] {'a', 0}, true)).isNull();
        assertThat(AgentRequest.run(NONCE, null, List.of("cat"), true, new byte[AgentRequest.BODY_MAX + 1], true)).isNull();
        assertThat(AgentRequest.run(NONCE, null, List.of("echo", "x".repeat(AgentRequest.BODY_MAX)), true, new byte[0], true))
                .isNull();
    }

    @Test
    void everyRequestHasAFreshNonceOfHexDigits() {
        String a = AgentRequest.newNonce();
        String b = AgentRequest.newNonce();
        assertThat(a).matches("[0-9a-f]{32}").isNotEqualTo(b);
        assertThat(new String(AgentRequest.ping(a), UTF_8)).isEqualTo("P" + a + "\n");
    }

    @Test
    void theAgentScriptCarriesTheWrapperItsPidFileTheDefaultPathAndNoComments() {
        List<String> entrypoint = AgentScript.entrypoint("/opt/it's/bin:/bin");
        String script = entrypoint.get(2);
        assertThat(entrypoint).hasSize(4).startsWith("sh", "-c").endsWith("stagecraft-agent");
        assertThat(script).doesNotContain("@WRAPPER@", "@PATH@", "@PIDFILE@").contains(new String(AgentRequest.quote(CommandRunner.AGENT_WRAPPER), UTF_8))
                .contains("D='PATH=/opt/it'\\''s/bin:/bin'\n").contains("F='" + CommandRunner.AGENT_PID_FILE + "'\n");
        assertThat(script.lines()).noneMatch(line -> line.stripLeading().startsWith("#"));
    }
}
