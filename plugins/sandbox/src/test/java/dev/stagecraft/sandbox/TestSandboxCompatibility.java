package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary programs run as in a container: the sandbox user has a passwd and group entry, a home that lasts as long
 * as the environment, a UTF-8 locale, and /etc/hosts; the configured read-only host paths are there and read-only.
 */
class TestSandboxCompatibility {
    @TempDir
    Path stateDir;
    @TempDir
    Path toolchain;
    private SandboxProvider provider;
    private ExecutionEnvironment env;

    @BeforeEach
    void sandbox() throws Exception {
        Files.writeString(toolchain.resolve("tool.sh"), "echo from the toolchain\n");
        provider = SandboxFixtures.usableProvider(stateDir, Map.of("read-only-paths", List.of(toolchain.toString())));
        env = provider.create(SandboxFixtures.spec());
    }

    @AfterEach
    void destroy() {
        SandboxFixtures.destroyAndClose(env, provider);
    }

    private ExecResult sh(String script) {
        return SandboxFixtures.sh(env, Duration.ofSeconds(30), script);
    }

    @Test
    void theUserHasANameAGroupAHomeAndALocale() {
        ExecResult r = sh("id -un; id -gn; getent passwd 1000; getent group 0; echo \"$HOME $LANG\"; cd ~ && pwd;"
                + " getent hosts sandbox");
        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        assertThat(r.stdoutText().lines()).containsExactly("sandbox", "sandbox",
                "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh", "root:x:0:", "/home/sandbox C.UTF-8", "/home/sandbox",
                "127.0.1.1       sandbox");
    }

    @Test
    void pythonFindsTheHomeTheUserAndWritesTarsWithOwners() {
        ExecResult r = sh("python3 -c 'import pathlib, getpass, os, tarfile, io;"
                + " print(pathlib.Path.home(), getpass.getuser(), os.path.expanduser(\"~/x\"));"
                + " open(\"f\", \"w\").write(\"hi\"); t = tarfile.open(\"t.tar\", \"w\"); t.add(\"f\"); t.close();"
                + " print([(m.uname, m.gname) for m in tarfile.open(\"t.tar\").getmembers()])'");
        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        assertThat(r.stdoutText()).isEqualTo("/home/sandbox sandbox /home/sandbox/x\n[('sandbox', 'sandbox')]\n");
    }

    @Test
    void theHomeLastsAsLongAsTheEnvironmentAndIsNotTheWorkspace() {
        assertThat(sh("echo kept > ~/.config-file").exitCode()).isZero();
        assertThat(sh("cat ~/.config-file").stdoutText()).isEqualTo("kept\n");
        assertThat(sh("ls -A /workspace").stdoutText()).doesNotContain(".config-file");
    }

    @Test
    void configuredReadOnlyPathsAreThereAndReadOnly() {
        ExecResult run = sh("sh " + toolchain.resolve("tool.sh"));
        assertThat(run.stdoutText()).isEqualTo("from the toolchain\n");
        ExecResult write = sh("touch " + toolchain.resolve("new"));
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderrText()).contains("Read-only file system");
        assertThat(toolchain.resolve("new")).doesNotExist();
    }
}
