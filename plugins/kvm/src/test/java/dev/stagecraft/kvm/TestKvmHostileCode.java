package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.tck.HostileContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The provider kit's hostile battery in real VMs of the python guest (the default image), under the guest's own
 * kernel as the commands' user (uid 1000), plus what only a VM adds: the guest agent's channel is out of that user's
 * reach.
 */
class TestKvmHostileCode extends HostileContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return KvmFixtures.provider(stateDir, Map.of("pids", 64, "tmp-size", "16m", "file-size", "8m",
                "open-files", 1024));
    }

    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        String name = DomainXml.domainName(destroyed.id());
        assertThat(KvmFixtures.virsh("list", "--all", "--name").lines()).as("libvirt domains").doesNotContain(name);
        Path overlay = WorkspaceOverlay.pathFor(KvmSettings.DEFAULT_OVERLAYS, name);
        assertThat(Files.exists(overlay)).as("workspace overlay " + overlay).isFalse();
        assertThat(Files.exists(KvmSettings.DEFAULT_LOGS.resolve(name + ".log"))).as("serial log").isFalse();
    }

    /** Debian's own hostname, reboot and ping word their refusals differently; busybox's are the battery's. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }

    /** The guest has a kernel of its own: a user namespace there is that kernel's business, not the host's. */
    @Override
    protected boolean userNamespacesRefused() {
        return false;
    }

    /** Under TCG every instruction is emulated. */
    @Override
    protected boolean slowSyscalls() {
        return true;
    }

    @Test
    void theCommandsCannotReachTheGuestAgentOrItsPowers() {
        create();
        ExecResult port = sh(Duration.ofSeconds(20), "for p in /dev/vport*; do echo probe > \"$p\" && echo wrote $p;"
                + " cat \"$p\" </dev/null >/dev/null && echo read $p; done; id -u");
        assertThat(port.stdoutText()).as(port.stderrText()).doesNotContain("wrote").doesNotContain("read").endsWith("1000\n");
        assertThat(port.stderrText()).contains("Permission denied");
        ExecResult agent = sh(Duration.ofSeconds(20), "for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null);"
                + " case \"$c\" in qemu-ga|tini) echo \"$c\"; kill -9 \"${p#/proc/}\" && echo killed;; esac; done");
        assertThat(agent.stdoutText().lines()).as("the agent and its init run, and cannot be killed from inside")
                .containsExactlyInAnyOrder("tini", "qemu-ga");
        assertThat(agent.stderrText()).contains("Operation not permitted");
        assertThat(env.execute(ExecRequest.of("echo", "agent still answers")).stdoutText()).isEqualTo("agent still answers\n");
    }
}
