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
        env = SandboxFixtures.usableProvider(stateDir, settings()).create(SandboxFixtures.spec());
    }

    /** The provider's settings; the default launcher here (direct, where the C library allows it). */
    Map<String, ?> settings() {
        return Map.of();
    }

    @AfterEach
    void destroy() {
        if (env != null) {
            env.destroy();
        }
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
        assertThat(status).as("a seccomp filter binds the command").containsPattern("(?m)^Seccomp:\\s+2$")
                .containsPattern("(?m)^Seccomp_filters:\\s+2$");
    }

    @Test
    void everyChildAndThreadIsFilteredToo() {
        String status = run("sh -c 'cat /proc/self/status' & wait; cat /proc/$$/task/*/status");
        assertThat(status.lines().filter(l -> l.startsWith("Seccomp:"))).hasSizeGreaterThanOrEqualTo(2)
                .allMatch(l -> l.matches("Seccomp:\\s+2"));
    }

    @Test
    void onlyStandardDescriptorsAreInherited() {
        assertThat(run("ls /proc/$$/fd").lines().sorted().toList()).containsExactly("0", "1", "2");
    }

    @Test
    void rlimitsAreSetAndHard() {
        String limits = run("cat /proc/self/limits");
        assertThat(limits).containsPattern("(?m)^Max core file size\\s+0\\s+0\\s+bytes");
        assertThat(limits).containsPattern("(?m)^Max open files\\s+1024\\s+1024\\s+files");
        assertThat(limits).containsPattern("(?m)^Max file size\\s+1073741824\\s+1073741824\\s+bytes");
        assertThat(limits).containsPattern("(?m)^Max cpu time\\s+unlimited\\s+unlimited\\s+seconds");
        ExecResult raise = env.execute(ExecRequest.of("sh", "-c", "ulimit -n 4096"));
        assertThat(raise.exitCode()).as("the hard limit cannot be raised from inside").isNotZero();
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
        assertThat(run("ls /")).doesNotContain("root\n").doesNotContain("var\n").doesNotContain("run\n");
        assertThat(run("ls -A /etc")).as("only the generated files").isEqualTo("group\nhosts\nnsswitch.conf\npasswd\n");
        assertThat(run("ls -A /home")).as("only the sandbox user's home").isEqualTo("sandbox\n");
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
