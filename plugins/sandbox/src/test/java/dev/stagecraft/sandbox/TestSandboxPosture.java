package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the code inside runs as: unprivileged, without capabilities, in namespaces of its own. */
class TestSandboxPosture {
    private static final List<String> NAMESPACES = List.of("user", "mnt", "pid", "net", "ipc", "uts", "cgroup");

    @TempDir
    Path stateDir;
    private ExecutionEnvironment env;

    @BeforeEach
    void create() {
        env = SandboxFixtures.usableProvider(stateDir, Map.of()).create(SandboxFixtures.spec());
    }

    @AfterEach
    void destroy() {
        env.destroy();
    }

    private String run(String script) {
        ExecResult result = env.execute(ExecRequest.of("sh", "-c", script));
        assertThat(result.exitCode()).as("`%s`: %s", script, result.stderrText()).isZero();
        return result.stdoutText();
    }

    @Test
    void runsAsUid1000WithoutCapabilitiesOrNewPrivileges() {
        String status = run("cat /proc/self/status");
        assertThat(status).containsPattern("(?m)^Uid:\\s+1000\\s+1000\\s+1000\\s+1000$");
        assertThat(status).containsPattern("(?m)^Gid:\\s+1000\\s+1000\\s+1000\\s+1000$");
        assertThat(status).containsPattern("(?m)^CapEff:\\s+0+$");
        assertThat(status).containsPattern("(?m)^CapPrm:\\s+0+$");
        assertThat(status).containsPattern("(?m)^CapBnd:\\s+0+$");
        assertThat(status).containsPattern("(?m)^NoNewPrivs:\\s+1$");
    }

    @Test
    void everyNamespaceDiffersFromTheHosts() throws IOException {
        String inside = run("for n in " + String.join(" ", NAMESPACES) + "; do readlink /proc/self/ns/$n; done");
        for (String ns : NAMESPACES) {
            String host = Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString();
            assertThat(host).startsWith(ns + ":[");
            assertThat(inside).as("namespace " + ns).contains(ns + ":[").doesNotContain(host);
        }
    }

    @Test
    void hostFilesAreOutOfSightAndUsrIsReadOnly() {
        assertThat(run("ls /")).doesNotContain("root\n").doesNotContain("home\n").doesNotContain("etc\n");
        ExecResult write = env.execute(ExecRequest.of("sh", "-c", "echo x > /usr/stagecraft-test"));
        assertThat(write.exitCode()).isNotZero();
        assertThat(Path.of("/usr/stagecraft-test")).doesNotExist();
        assertThat(run("echo hi > /tmp/x && cat /tmp/x")).isEqualTo("hi\n");
    }

    @Test
    void networkIsOffUnlessRequested() {
        String links = run("cat /proc/net/dev");
        assertThat(links).contains("lo:").doesNotContainPattern("(?m)^\\s*(eth|en|wl)[a-z0-9]*:");
    }
}
