package dev.stagecraft.cli;

import dev.stagecraft.cli.InProcess.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code serve} and {@code mcp} refuse a bad quota, an audit log they cannot write or a key store they cannot read in one
 * line, and do not start.
 */
class TestServeSettings {
    @TempDir
    Path state;

    @Test
    void aBadQuotaIsOneLine() {
        Outcome serve = new InProcess(state).with("STAGECRAFT_SERVER__TENANTS__ACME__MAX_MEMORY", "lots")
                .run("serve", "--listen", "127.0.0.1:0");
        assertThat(serve.exitCode()).isEqualTo(2);
        assertThat(serve.err()).isEqualTo("stagecraft: INVALID_CONFIGURATION: defaults: "
                + "server.tenants.acme.max-memory: 'lots' is not a size (e.g. 512m, 2g)\n");
        Outcome mcp = new InProcess(state).with("STAGECRAFT_SERVER__MAX_GPUS", "-1").run("mcp");
        assertThat(mcp.exitCode()).isEqualTo(2);
        assertThat(mcp.err()).isEqualTo("stagecraft: INVALID_CONFIGURATION: defaults: server.max-gpus: -1 is out of "
                + "range [0, 100000]\n");
    }

    @Test
    void anAuditLogThatCannotBeWrittenStopsTheServerFromStarting() {
        Outcome serve = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new InProcess(state)
                .with("STAGECRAFT_SERVER__AUDIT_LOG", "/proc/stagecraft-nowhere/audit.jsonl")
                .run("serve", "--listen", "127.0.0.1:0"));
        assertThat(serve.exitCode()).isEqualTo(2);
        assertThat(serve.err()).startsWith("stagecraft: INVALID_CONFIGURATION: server.audit-log: cannot write "
                + "/proc/stagecraft-nowhere/audit.jsonl (").endsWith("); critical-level work is never served unaudited\n");
        assertThat(serve.err().lines()).hasSize(1);
        assertThat(serve.out()).doesNotContain("listening");
    }

    @Test
    void aKeyStoreThatCannotBeReadStopsTheServerFromStarting() throws Exception {
        Path password = java.nio.file.Files.writeString(state.resolve("password"), "secret\n");
        Outcome serve = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new InProcess(state)
                .with("STAGECRAFT_SERVER__TLS__KEYSTORE", state.resolve("none.p12").toString())
                .with("STAGECRAFT_SERVER__TLS__PASSWORD_FILE", password.toString())
                .run("serve", "--listen", "127.0.0.1:0"));
        assertThat(serve.exitCode()).isEqualTo(2);
        assertThat(serve.err()).isEqualTo("stagecraft: INVALID_CONFIGURATION: defaults: server.tls.keystore: cannot read "
                + state.resolve("none.p12") + " as a PKCS#12 key store with the password in " + password + ": no such file\n");
        assertThat(serve.out()).doesNotContain("listening");
    }
}
