package dev.stagecraft.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real program (a C probe built with the host's gcc) tries the refused syscalls inside a real sandbox: each
 * answers EPERM (clone3: ENOSYS), with arguments the kernel itself would have answered differently.
 */
class TestSeccompSyscalls {
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int SIGSYS = 31;
    private static final int SIGSEGV = 11;

    @TempDir
    static Path stateDir;
    @TempDir
    static Path workDir;
    private static ExecutionEnvironment env;
    private static Map<String, long[]> outcome;
    /** The 32-bit ABI probe run on the host, unfiltered: {killed, signal}. */
    private static long[] i386OnTheHost;

    @BeforeAll
    static void runProbe() {
        env = SandboxFixtures.usableProvider(stateDir, Map.of()).create(SandboxFixtures.spec());
        byte[] probe = SandboxFixtures.compiledProbe(workDir, "syscalls");
        env.putFile("probe", probe);
        i386OnTheHost = hostI386Outcome(workDir.resolve("syscalls"));
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "chmod +x probe && ./probe")
                .timeout(Duration.ofSeconds(30)).build());
        assertThat(result.exitCode()).as(result.stderrText()).isZero();
        outcome = new LinkedHashMap<>();
        result.stdoutText().lines().map(l -> l.split(" ")).forEach(p ->
                outcome.put(p[0], new long[] {Long.parseLong(p[1]), Long.parseLong(p[2])}));
    }

    /** Runs only the probe's 32-bit ABI case (a getpid) on the host, to learn whether this kernel has that ABI at all. */
    private static long[] hostI386Outcome(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "i386").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertThat(p.waitFor()).as(out).isZero();
            String[] fields = out.split(" ");
            assertThat(fields[0]).as(out).isEqualTo("i386-abi");
            return new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void destroy() {
        if (env != null) {
            env.destroy();
        }
    }

    private static void assertRefused(String label, int errno) {
        assertThat(outcome).as("probe output").containsKey(label);
        assertThat(outcome.get(label)).as(label + ": return value and errno").containsExactly(-1, errno);
    }

    private static void assertAllowed(String label) {
        assertThat(outcome).as("probe output").containsKey(label);
        assertThat(outcome.get(label)[0]).as(label + " succeeds (errno " + outcome.get(label)[1] + ")").isNotNegative();
    }

    @Test
    void dangerousSyscallsAreRefusedWithEperm() {
        for (String name : List.of("mount", "umount2", "pivot_root", "unshare", "setns", "bpf", "perf_event_open",
                "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "keyctl", "add_key",
                "request_key", "ptrace", "process_vm_readv", "process_vm_writev", "userfaultfd", "io_uring_setup",
                "io_uring_enter", "io_uring_register", "open_by_handle_at", "name_to_handle_at", "chroot", "swapon")) {
            assertThat(SeccompPolicy.DENIED).contains(name);
            assertRefused(name, EPERM);
        }
    }

    @Test
    void clone3IsEnosysSoLibcFallsBackToClone() {
        assertRefused("clone3", ENOSYS);
    }

    @Test
    void cloneWithNamespaceFlagsIsRefusedAndPlainCloneWorks() {
        assertRefused("clone:newuser", EPERM);
        assertRefused("clone:newnet", EPERM);
        assertRefused("clone:newns", EPERM);
        assertAllowed("clone:plain");
    }

    @Test
    void onlyOrdinarySocketFamiliesAndTypes() {
        assertRefused("socket:vsock", EPERM);
        assertRefused("socket:packet", EPERM);
        assertRefused("socket:bluetooth", EPERM);
        assertRefused("socket:inet-raw", EPERM);
        assertRefused("socket:netlink-audit", EPERM);
        assertAllowed("socket:inet-stream");
        assertAllowed("socket:unix-dgram");
        assertAllowed("socket:netlink-route");
    }

    @Test
    void personalityOnlyTheSafeValues() {
        assertRefused("personality:read-implies-exec", EPERM);
        assertAllowed("personality:query");
    }

    @Test
    void tiocstiAndTioclinuxAreRefusedWhateverTheHighBits() {
        assertRefused("ioctl:tiocsti", EPERM);
        assertRefused("ioctl:tiocsti-high-bits", EPERM);
        assertRefused("ioctl:tioclinux", EPERM);
        assertThat(outcome.get("ioctl:fionread")[1]).as("other ioctls reach the kernel").isNotEqualTo(EPERM);
        assertAllowed("getpid");
    }

    @Test
    void theThirtyTwoBitAbiKillsTheProcess() {
        if (System.getProperty("os.arch").equals("amd64") && i386OnTheHost[0] == 0) {
            assertThat(outcome.get("i386-abi")).as("killed, by SIGSYS").containsExactly(1, SIGSYS);
        } else if (System.getProperty("os.arch").equals("amd64")) {
            // This kernel has no 32-bit ABI (built without IA32 emulation, or booted with it off): the call kills the
            // process on the host already, before any filter; inside it must be killed just the same.
            assertThat(i386OnTheHost[1]).as("on the host, killed by SIGSEGV").isEqualTo(SIGSEGV);
            assertThat(outcome.get("i386-abi")).as("killed inside too").containsExactly(1, SIGSEGV);
        } else {
            assertThat(outcome).doesNotContainKey("i386-abi");
        }
    }
}
