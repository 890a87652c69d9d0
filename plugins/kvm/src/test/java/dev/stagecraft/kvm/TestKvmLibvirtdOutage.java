package dev.stagecraft.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.BackendRequirement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * libvirtd down for a while (stopped about 10 s, then started again): every call during the outage fails at once
 * with one clear line that names libvirtd, and afterwards the same provider and the VM that kept running work
 * again, with nothing left behind by the calls that failed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TestKvmLibvirtdOutage {
    static final Duration OUTAGE = Duration.ofSeconds(10);
    /** A call during the outage must fail, not hang: well under the 60 s a lost connection is retried mid-exec. */
    static final Duration PROMPT = Duration.ofSeconds(5);

    @TempDir
    Path stateDir;

    private static EnvironmentSpec newSpec() {
        String id = "kvmout-" + UUID.randomUUID().toString().substring(0, 8);
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("test")
                .securityLevel(SecurityLevel.CRITICAL).build();
        return new EnvironmentSpec(id, requirement, IsolationLevel.VM,
                Labels.of("tck", id, Instant.now(), Duration.ofMinutes(10)).with(Labels.KIND, "kvm"));
    }

    private static ExecResult sh(ExecutionEnvironment env, String script) {
        return env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(60)).build());
    }

    /** The exception a call throws, checked to have come promptly. */
    private static StagecraftException failure(String what, Runnable call) {
        long started = System.nanoTime();
        Throwable thrown = catchThrowable(call::run);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as(what + " fails promptly during the outage").isLessThan(PROMPT);
        assertThat(thrown).as(what + " during the outage").isInstanceOf(StagecraftException.class);
        StagecraftException error = (StagecraftException) thrown;
        assertThat(error.getMessage()).as(what + ": one clear line").doesNotContain("\n")
                .contains("is libvirtd running? 'virsh -c " + KvmSettings.DEFAULT_URI + " version'");
        return error;
    }

    @Test
    void callsDuringALongOutageFailClearlyAndEverythingWorksAfterwards() {
        KvmProvider provider = KvmFixtures.provider(stateDir);
        BackendRequirement.require(provider);
        List<ExecutionEnvironment> created = new ArrayList<>();
        EnvironmentSpec kept = newSpec();
        EnvironmentSpec refused = newSpec();
        try {
            ExecutionEnvironment env = provider.create(kept);
            created.add(env);
            env.putFile("before.txt", "written before the outage\n".getBytes(StandardCharsets.UTF_8));

            long outageStarted = System.nanoTime();
            try {
                LibvirtdControl.stop();
                assertThat(failure("exec", () -> sh(env, "echo never")).code()).isEqualTo(ErrorCode.EXEC_FAILED);
                assertThat(failure("create", () -> created.add(provider.create(refused))).code())
                        .isEqualTo(ErrorCode.PROVISIONING_FAILED);
                assertThat(failure("putFile", () -> env.putFile("during.txt", new byte[] {1})).code())
                        .isEqualTo(ErrorCode.EXEC_FAILED);
                ProviderHealth health = provider.probe();
                assertThat(health.available()).isFalse();
                assertThat(health.reason()).startsWith("libvirtd is not reachable at " + KvmSettings.DEFAULT_URI);

                long left = OUTAGE.toNanos() - (System.nanoTime() - outageStarted);
                if (left > 0) {
                    LockSupport.parkNanos(left);
                }
                assertThat(failure("exec late in the outage", () -> sh(env, "echo never")).getMessage())
                        .contains("cannot run sh in VM 'stagecraft-" + kept.id() + "'");
                LibvirtdControl.start();
            } finally {
                LibvirtdControl.ensureRunning();
            }

            assertThat(provider.probe().available()).as("the same provider reconnects").isTrue();
            ExecResult after = sh(env, "cat before.txt");
            assertThat(after.exitCode()).isZero();
            assertThat(after.stdoutText()).as("the VM ran on through the outage").isEqualTo("written before the outage\n");
            assertThat(after.detail()).doesNotContain("re-established");
            ExecutionEnvironment fresh = provider.create(newSpec());
            created.add(fresh);
            assertThat(sh(fresh, "echo fresh").stdoutText()).isEqualTo("fresh\n");
        } finally {
            LibvirtdControl.ensureRunning();
            for (ExecutionEnvironment env : created) {
                env.destroy();
            }
            provider.close();
        }

        String all = KvmFixtures.virsh("list", "--all", "--name");
        for (EnvironmentSpec spec : List.of(kept, refused)) {
            String name = DomainXml.domainName(spec.id());
            assertThat(all).doesNotContain(name);
            assertThat(KvmProviderAccess.definedXmlFiles(name)).isEmpty();
            assertThat(WorkspaceOverlay.pathFor(KvmSettings.DEFAULT_OVERLAYS, name)).doesNotExist();
        }
        assertThat(all.lines().filter(n -> n.startsWith("stagecraft-kvmout-")).toList())
                .as("no domain of this test is left").isEmpty();
    }
}
