package dev.stagecraft.core.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.tck.Deadline;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A holder counts as alive until its process is provably gone: exited, reused, or a zombie nobody collects. */
class TestProcessIdentity {
    @Test
    void thisProcessIsAliveAndAnotherHostIsAssumedAlive() {
        assertThat(ProcessIdentity.alive(ProcessIdentity.current())).isTrue();
        assertThat(ProcessIdentity.alive("some-other-host/1/0")).isTrue();
        assertThat(ProcessIdentity.alive("garbage")).isTrue();
    }

    @Test
    void anExitedProcessOrAReusedPidIsGone() throws Exception {
        Process child = new ProcessBuilder("true").start();
        long pid = child.pid();
        String holder = identity(child.toHandle());
        child.waitFor();
        assertThat(ProcessIdentity.alive(holder)).isFalse();
        String self = ProcessIdentity.current();
        String reused = self.substring(0, self.lastIndexOf('/') + 1) + "12345";
        assertThat(ProcessIdentity.alive(reused)).as("same pid, other start time").isFalse();
        assertThat(pid).isPositive();
    }

    @Test
    void aZombieWaitingForItsParentIsGone() throws Exception {
        // The shell starts a short sleep, then becomes a long one that never collects it: a zombie for 5 seconds.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0.2 & echo $!; exec sleep 5").start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII))) {
            long pid = Long.parseLong(out.readLine().trim());
            ProcessHandle zombie = ProcessHandle.of(pid).orElseThrow();
            String holder = identity(zombie);
            assertThat(ProcessIdentity.alive(holder)).as("still sleeping").isTrue();
            Deadline.await(Duration.ofSeconds(3), "the short sleep to end uncollected", () -> ProcessIdentity.zombie(pid));
            assertThat(zombie.isAlive()).as("the JDK still sees it").isTrue();
            assertThat(ProcessIdentity.alive(holder)).isFalse();
        } finally {
            parent.destroyForcibly().waitFor();
        }
    }

    private static String identity(ProcessHandle process) {
        String self = ProcessIdentity.current();
        String host = self.substring(0, self.indexOf('/'));
        return host + "/" + process.pid() + "/" + process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
