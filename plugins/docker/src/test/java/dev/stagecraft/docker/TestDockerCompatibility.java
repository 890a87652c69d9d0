package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What ordinary programs look for, on the test images (a passwd entry for uid 1000 'tool', home /workspace): a user
 * name, HOME, LANG, /etc/hosts, and with a network a resolv.conf. Through the agent and through an Engine exec (a
 * request the agent cannot take), which run the same wrapper. Real Engine.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestDockerCompatibility extends DockerProviderTest {
    private static final String PROBE = "id -un; id -gn; echo \"$HOME\"; echo \"$LANG\"";

    private static ExecResult run(ExecutionEnvironment env, ExecRequest.Builder request) {
        return env.execute(request.timeout(Duration.ofSeconds(30)).build());
    }

    @Test
    void aCommandHasAUserNameHomeAndUtf8Locale() {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        assertThat(run(env, ExecRequest.builder("sh", "-c", PROBE)).stdoutText()).isEqualTo("tool\ntool\n/workspace\nC.UTF-8\n");
        // a NUL byte in stdin: the agent cannot take it, an Engine exec runs the command
        ExecResult exec = run(env, ExecRequest.builder("sh", "-c", "cat >/dev/null; " + PROBE).stdin(new byte[] {0}));
        assertThat(exec.stdoutText()).isEqualTo("tool\ntool\n/workspace\nC.UTF-8\n");
        assertThat(run(env, ExecRequest.builder("sh", "-c", "echo \"$HOME $LANG\"").env("LANG", "en_US.UTF-8")
                .env("HOME", "/tmp")).stdoutText()).as("the request's own values win").isEqualTo("/tmp en_US.UTF-8\n");
    }

    @Test
    void pythonFindsTheHomeAndTheUser() {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().toolType("python").build(), IsolationLevel.CONTAINER);
        // python3-minimal has no getpass module: pwd.getpwuid is what getpass.getuser() falls back to without USER
        ExecResult python = run(env, ExecRequest.builder("python3", "-c", "import os, pathlib, pwd, sys;"
                + " print(pathlib.Path.home(), os.path.expanduser('~'), pwd.getpwuid(os.getuid()).pw_name,"
                + " sys.getfilesystemencoding(), 'é'.encode(sys.stdout.encoding))"));
        assertThat(python.stderrText()).isEmpty();
        assertThat(python.stdoutText()).isEqualTo("/workspace /workspace tool utf-8 b'\\xc3\\xa9'\n");
    }

    @Test
    void dockerWritesHostsAndWithANetworkAResolvConf() {
        ExecutionEnvironment offline = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        assertThat(run(offline, ExecRequest.builder("cat", "/etc/hosts")).stdoutText())
                .as("the provider's file: the Engine leaves an empty one without a network").isEqualTo(OfflineHosts.CONTENT);
        ExecutionEnvironment python = create(EnvironmentRequirement.builder().toolType("python").build(), IsolationLevel.CONTAINER);
        assertThat(run(python, ExecRequest.builder("python3", "-c", "import socket; print(socket.gethostbyname('localhost'))"))
                .stdoutText()).isEqualTo("127.0.0.1\n");
        ExecutionEnvironment online = create(EnvironmentRequirement.builder().network(true).build(), IsolationLevel.CONTAINER);
        assertThat(run(online, ExecRequest.builder("cat", "/etc/hosts")).stdoutText())
                .containsPattern("(?m)^127\\.0\\.0\\.1\\s+localhost").contains(online.id());
        assertThat(run(online, ExecRequest.builder("cat", "/etc/resolv.conf")).stdoutText()).containsPattern("(?m)^nameserver \\S+");
    }
}
