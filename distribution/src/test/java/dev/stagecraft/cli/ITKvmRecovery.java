package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stagecraft.cli.Distribution.Outcome;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.stagecraft.cli.HostCommands.await;
import static dev.stagecraft.cli.HostCommands.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5's recovery items against real libvirtd + QEMU, through the unpacked distribution's bin/stagecraft with a
 * private state directory and serial-log directory: a manager killed with {@code kill -9} mid-exec leaves nothing
 * behind once the next manager reconciles, and a libvirtd restart mid-exec is survived.
 */
class ITKvmRecovery {
    static final String URI = "qemu:///system";
    static final ObjectMapper JSON = new ObjectMapper();
    /** The kvm provider's default directory of workspace overlays (stagecraft-<id>.qcow2). */
    static final Path OVERLAYS = Path.of("/var/lib/stagecraft/kvm/overlays");

    @TempDir
    static Path work;
    static Distribution distribution;
    static Path logs;
    static Map<String, String> env;

    @BeforeAll
    static void unpack() throws Exception {
        distribution = Distribution.unpack(work);
        logs = work.resolve("kvm-logs");
        env = Map.of("STAGECRAFT_PROVIDERS__KVM__LOG_DIRECTORY", logs.toString());
        distribution.requireProvider("kvm", env);
    }

    /** Issue 17: the critical level runs the languages agents write, as an unprivileged user of the guest. */
    @Test
    void theCriticalLevelRunsPythonInAVmAsItsOwnUser() throws Exception {
        Outcome run = stagecraft("run", "--security", "critical", "--", "python3", "-c",
                "import os, getpass, platform; print(1); print(os.getuid(), getpass.getuser(), platform.release())");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("1");
        assertThat(lines.get(1)).as("uid, user, the guest kernel").startsWith("1000 sandbox ").endsWith("-cloud-amd64");
    }

    // ---- the two scenarios ---------------------------------------------------------------------------------

    @Test
    void killMinus9DuringAnExecLeavesNothingAfterTheNextRun() throws Exception {
        Set<String> before = domains();
        Path out = Files.createTempFile(work, "killed-out", ".txt");
        Path err = Files.createTempFile(work, "killed-err", ".txt");
        Process killed = distribution.command(env, "run", "--security", "critical", "--timeout", "300s", "--", "sleep", "300")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        killed.getOutputStream().close();
        String domain;
        try {
            // on a fresh host the first run boots its shape's snapshot template (stagecraft-snapshot-*) first
            domain = awaitValue(Duration.ofSeconds(150), "a new stagecraft-* domain running for the first run", () ->
                    runningDomains().stream().filter(d -> !before.contains(d) && !d.startsWith("stagecraft-snapshot-"))
                            .findFirst());
            String d = domain;
            await(Duration.ofSeconds(60), "'sleep 300' running inside " + domain, () -> guestRuns(d, "sleep 300"));
            assertThat(killed.isAlive()).as("the first run is still executing").isTrue();
        } finally {
            // the launcher execs java, so this pid is the manager's JVM
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(killed.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();
            assertThat(killed.waitFor(30, TimeUnit.SECONDS)).as("the killed manager is gone").isTrue();
        }
        assertThat(killed.exitValue()).isEqualTo(137);
        String id = domain.substring("stagecraft-".length());
        assertThat(domains()).as("kill -9 leaves the VM behind until someone reconciles").contains(domain);

        Outcome second = stagecraft("run", "--security", "critical", "--", "true");

        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(domains()).as("the killed run's domain, running or defined").doesNotContain(domain);
        assertThat(filesNamed(id)).as("files of " + id + " under the state and log directories").isEmpty();
        assertThat(Files.readString(distribution.state().resolve("audit.jsonl"))).containsPattern(
                "\"action\":\"reap\",\"environment\":\"" + id + "\".*its holder process [^\"]*/" + killed.pid() + "/[0-9]+ is gone");
        assertThat(domains()).as("the second run's own VM is gone too").isEqualTo(before);
    }

    @Test
    void libvirtdRestartedMidExecIsSurvivedAndTheVmKeepsWorking() throws Exception {
        Outcome created = stagecraft("env", "create", "--security", "critical");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();
        String domain = "stagecraft-" + id;
        Process exec = null;
        try {
            Path out = Files.createTempFile(work, "exec-out", ".txt");
            Path err = Files.createTempFile(work, "exec-err", ".txt");
            // 12 s: long enough to restart libvirtd in the middle (about 2 s here), short enough for the class budget
            exec = distribution.command(env, "env", "exec", "--json", "--timeout", "120s", id, "--", "sh", "-c", "sleep 12; echo survived")
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            exec.getOutputStream().close();
            await(Duration.ofSeconds(60), "'sleep 12' running inside " + domain, () -> guestRuns(domain, "sleep 12"));
            try {
                restartLibvirtd();
            } finally {
                ensureLibvirtd();
            }
            assertThat(exec.isAlive()).as("libvirtd was back while the command still ran").isTrue();
            assertThat(exec.waitFor(120, TimeUnit.SECONDS)).as("env exec finished").isTrue();
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            // the provider reconnects and keeps polling the same guest process: the exec succeeds, and says so
            assertThat(stderr).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(exec.exitValue()).as(stderr).isZero();
            JsonNode result = JSON.readTree(stdout);
            assertThat(result.get("exitCode").asInt()).isZero();
            assertThat(result.get("stdout").asText()).isEqualTo("survived\n");
            assertThat(result.get("detail").asText()).contains("connection to libvirtd was lost and re-established");

            assertThat(domains()).as("QEMU domains survive a libvirtd restart").contains(domain);
            Outcome after = stagecraft("env", "exec", id, "--", "echo", "ok");
            assertThat(after.exitCode()).as(after.err()).isZero();
            assertThat(after.out()).isEqualTo("ok\n");
        } finally {
            if (exec != null && exec.isAlive()) {
                exec.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            ensureLibvirtd();
            Outcome removed = stagecraft("env", "rm", id);
            assertThat(removed.exitCode()).as(removed.err()).isZero();
        }
        assertThat(domains()).doesNotContain(domain);
        assertThat(filesNamed(id)).isEmpty();
        Outcome gone = stagecraft("env", "exec", id, "--", "true");
        assertThat(gone.exitCode()).isEqualTo(3);
        assertThat(gone.err()).contains("NOT_FOUND");
    }

    // ---- libvirtd ------------------------------------------------------------------------------------------

    /** SIGTERM libvirtd, wait until it is gone, start it again as scripts/setup.d/30-kvm.sh does, wait for it. */
    static void restartLibvirtd() throws Exception {
        List<Long> pids = pgrep("libvirtd");
        assertThat(pids).as("a running libvirtd").isNotEmpty();
        for (long pid : pids) {
            assertThat(HostCommands.run(10, "kill", "-TERM", Long.toString(pid)).exitCode()).isZero();
        }
        await(Duration.ofSeconds(30), "libvirtd to exit after SIGTERM", () -> {
            try {
                return pgrep("libvirtd").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        startLibvirtd();
    }

    /** libvirtd answers virsh afterwards, whatever happened before. */
    static void ensureLibvirtd() throws Exception {
        if (!libvirtdAnswers()) {
            if (pgrep("libvirtd").isEmpty()) {
                startLibvirtd();
            } else {
                await(Duration.ofSeconds(60), "libvirtd to answer 'virsh -c " + URI + " version'", ITKvmRecovery::libvirtdAnswers);
            }
        }
    }

    static void startLibvirtd() throws Exception {
        Outcome started = Files.isDirectory(Path.of("/run/systemd/system"))
                ? HostCommands.run(60, "systemctl", "start", "libvirtd.service")
                // as scripts/setup.d/30-kvm.sh does: under a subreaper that reaps QEMU processes at once
                : HostCommands.run(60, "sh", "-c", "if command -v tini >/dev/null 2>&1; then setsid nohup tini -s -- libvirtd"
                        + " >>/var/log/stagecraft-libvirtd.log 2>&1 </dev/null & else libvirtd -d; fi");
        assertThat(started.exitCode()).as("starting libvirtd: " + started.err()).isZero();
        await(Duration.ofSeconds(60), "libvirtd to answer 'virsh -c " + URI + " version'", ITKvmRecovery::libvirtdAnswers);
    }

    static boolean libvirtdAnswers() {
        try {
            return HostCommands.run(10, "virsh", "-c", URI, "version").exitCode() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static List<Long> pgrep(String name) throws Exception {
        Outcome found = HostCommands.run(10, "pgrep", "-x", name);
        return found.out().lines().map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    }

    // ---- libvirt and the guest -----------------------------------------------------------------------------

    /** Names of all stagecraft-* domains, running or only defined. */
    static Set<String> domains() throws Exception {
        return listDomains("--all");
    }

    static Set<String> runningDomains() {
        try {
            return listDomains("--state-running");
        } catch (Exception e) {
            return Set.of();
        }
    }

    private static Set<String> listDomains(String which) throws Exception {
        Outcome list = HostCommands.run(30, "virsh", "-c", URI, "list", which, "--name");
        assertThat(list.exitCode()).as(list.err()).isZero();
        Set<String> names = new LinkedHashSet<>();
        list.out().lines().map(String::trim).filter(n -> n.startsWith("stagecraft-")).forEach(names::add);
        return names;
    }

    /** Whether a process whose command line is exactly {@code args} runs in the guest (asked through its agent). */
    static boolean guestRuns(String domain, String args) {
        try {
            String exec = "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\","
                    + JSON.writeValueAsString("busybox ps -o args | grep -qxF \"$1\"") + ",\"check\","
                    + JSON.writeValueAsString(args) + "],\"capture-output\":true}}";
            Outcome started = HostCommands.run(30, "virsh", "-c", URI, "qemu-agent-command", domain, exec);
            if (started.exitCode() != 0) {
                return false;
            }
            long pid = JSON.readTree(started.out()).get("return").get("pid").asLong();
            String status = "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}";
            JsonNode[] reply = new JsonNode[1];
            await(Duration.ofSeconds(20), "the guest's ps to finish", () -> {
                try {
                    Outcome polled = HostCommands.run(30, "virsh", "-c", URI, "qemu-agent-command", domain, status);
                    reply[0] = polled.exitCode() == 0 ? JSON.readTree(polled.out()).get("return") : null;
                    return reply[0] != null && reply[0].path("exited").asBoolean();
                } catch (Exception e) {
                    return false;
                }
            });
            return reply[0].path("exitcode").asInt(-1) == 0;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    /**
     * Files whose name mentions the environment id under the private state and serial-log directories, and the
     * workspace overlay directory.
     */
    static List<Path> filesNamed(String id) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path root : List.of(distribution.state(), logs, OVERLAYS)) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> all = Files.walk(root)) {
                    all.filter(p -> p.getFileName().toString().contains(id)).forEach(found::add);
                }
            }
        }
        return found;
    }

    static Outcome stagecraft(String... args) throws IOException, InterruptedException {
        return distribution.run(env, args);
    }
}
