package dev.stagecraft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.cli.Distribution.Outcome;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built stagecraft-VERSION.tar.gz, unpacked and run as a person would: bin/stagecraft with the sandbox
 * plugin loaded from plugins/ by PF4J, real bubblewrap underneath.
 */
class ITDistribution {
    @TempDir
    static Path work;
    static Path home;
    static Path state;

    static Distribution distribution;

    @BeforeAll
    static void unpack() throws Exception {
        distribution = Distribution.unpack(work);
        home = distribution.home();
        state = distribution.state();
    }

    static Outcome stagecraft(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return distribution.run(env, args);
    }

    static Outcome stagecraft(String... args) throws IOException, InterruptedException {
        return stagecraft(Map.of(), args);
    }

    @Test
    void layoutHasBinLibPluginsConf() throws IOException {
        assertThat(home.resolve("bin/stagecraft")).isExecutable();
        assertThat(home.resolve("conf/stagecraft.yaml")).isRegularFile();
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            List<String> jars = lib.map(p -> p.getFileName().toString()).toList();
            assertThat(jars).anyMatch(n -> n.startsWith("stagecraft-api-")).anyMatch(n -> n.startsWith("stagecraft-core-"))
                    .anyMatch(n -> n.startsWith("pf4j-")).noneMatch(n -> n.contains("plugin-sandbox"));
        }
        try (Stream<Path> plugins = Files.list(home.resolve("plugins"))) {
            assertThat(plugins.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("stagecraft-plugin-docker-0.1.0.zip", "stagecraft-plugin-gpu-0.1.0.zip",
                            "stagecraft-plugin-kubernetes-0.1.0.zip", "stagecraft-plugin-kvm-0.1.0.zip", "stagecraft-plugin-lambda-0.1.0.zip",
                            "stagecraft-plugin-sandbox-0.1.0.zip");
        }
    }

    @Test
    void runsInTheSandboxAndExplainsTheSelection() throws Exception {
        Outcome outcome = stagecraft("run", "--explain", "--security", "medium", "--", "sh", "-c", "echo hi");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).isEqualTo("hi\n");
        assertThat(outcome.err()).contains("selected: sandbox (isolation container)").contains("+ sandbox").contains("startup").contains("efficiency");
    }

    @Test
    void exitCodeTimeoutAndJson() throws Exception {
        assertThat(stagecraft("run", "--", "sh", "-c", "exit 7").exitCode()).isEqualTo(7);
        Outcome timedOut = stagecraft("run", "--timeout", "1s", "--", "sleep", "30");
        assertThat(timedOut.exitCode()).isEqualTo(124);
        assertThat(timedOut.err()).contains("timed out");
        Outcome json = stagecraft("run", "--json", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        JsonNode document = new ObjectMapper().readTree(json.out());
        assertThat(document.get("provider").asText()).isEqualTo("sandbox");
        assertThat(document.get("environmentId").asText()).startsWith("sc-");
        assertThat(document.get("exitCode").asInt()).isEqualTo(3);
        assertThat(document.get("stdout").asText()).isEqualTo("out\n");
        assertThat(document.get("stderr").asText()).isEqualTo("err\n");
        assertThat(document.get("timedOut").asBoolean()).isFalse();
        assertThat(document.get("truncated").asBoolean()).isFalse();
        assertThat(document.has("durationMs")).isTrue();
        assertThat(json.exitCode()).isEqualTo(3);
    }

    @Test
    void criticalLevelRunsInAVmAndExplainsWhy() throws Exception {
        requireProvider("kvm");
        Outcome select = stagecraft("select", "--explain", "--security", "critical");
        assertThat(select.exitCode()).as(select.err()).isZero();
        assertThat(select.out()).contains("selected: kvm (isolation vm)")
                .contains("- sandbox    dropped by security: offers isolation up to container; level critical needs vm")
                .contains("- docker     dropped by security: offers isolation up to user-kernel; level critical needs vm");
        Outcome run = stagecraft("run", "--security", "critical", "--", "uname", "-r");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().trim()).endsWith("-cloud-amd64").isNotEqualTo(hostKernel());
        assertThat(run.err()).contains("creating a kvm environment");
    }

    @Test
    void criticalLevelRefusesNetworkWithReasons() throws Exception {
        Outcome outcome = stagecraft("run", "--security", "critical", "--network", "--", "true");
        assertThat(outcome.exitCode()).isEqualTo(125);
        assertThat(outcome.err()).contains("NO_PROVIDER").contains("sandbox: dropped by security")
                .contains("network is not allowed at level critical");
        Outcome select = stagecraft("select", "--json", "--security", "critical", "--network");
        JsonNode document = new ObjectMapper().readTree(select.out());
        assertThat(document.get("chosen").isNull()).isTrue();
        assertThat(document.get("candidates")).allSatisfy(c -> assertThat(c.get("kept").asBoolean()).isFalse());
    }

    static String hostKernel() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
    }

    @Test
    void aCorruptPluginDoesNotStopTheRest() throws Exception {
        Path plugins = work.resolve("plugins-with-junk");
        Files.createDirectories(plugins);
        try (Stream<Path> shipped = Files.list(home.resolve("plugins"))) {
            for (Path plugin : shipped.toList()) {
                Files.copy(plugin, plugins.resolve(plugin.getFileName()));
            }
        }
        Files.write(plugins.resolve("broken-1.0.jar"), new byte[] {1, 2, 3, 4, 5});
        Outcome outcome = stagecraft("run", "--plugins-dir", plugins.toString(), "--", "sh", "-c", "echo still here");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).isEqualTo("still here\n");
        assertThat(outcome.err()).contains("warning: plugin broken-1.0.jar skipped");
        Outcome list = stagecraft("plugins", "--plugins-dir", plugins.toString());
        assertThat(list.out()).contains("broken-1.0.jar").contains("skipped").contains("sandbox 0.1.0");
    }

    @Test
    void environmentsOutliveOneCommand() throws Exception {
        Outcome created = stagecraft("env", "create", "--label", "team=blue");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String id = created.out().trim();
        assertThat(id).startsWith("sc-");
        assertThat(stagecraft("env", "exec", id, "--", "sh", "-c", "echo kept > note.txt").exitCode()).isZero();
        Outcome read = stagecraft("env", "exec", id, "--", "cat", "note.txt");
        assertThat(read.out()).isEqualTo("kept\n");
        assertThat(stagecraft("env", "ls", "--label", "team=blue").out()).contains(id).contains("team=blue");
        Path copy = work.resolve("note-copy.txt");
        Outcome copied = stagecraft("env", "cp", id + ":note.txt", copy.toString());
        assertThat(copied.exitCode()).as(copied.err()).isZero();
        assertThat(copy).hasContent("kept");
        assertThat(stagecraft("env", "stop", id).out().trim()).isEqualTo(id + " STOPPED");
        assertThat(stagecraft("env", "status", id).out()).contains("status: STOPPED");
        assertThat(stagecraft("env", "rm", id).exitCode()).isZero();
        assertThat(stagecraft("env", "ls").out()).doesNotContain(id);
        Outcome gone = stagecraft("env", "exec", id, "--", "true");
        assertThat(gone.exitCode()).isEqualTo(3);
        assertThat(gone.err()).contains("NOT_FOUND");
        Outcome goneJson = stagecraft("env", "status", "--json", id);
        assertThat(goneJson.exitCode()).isEqualTo(3);
        assertThat(new ObjectMapper().readTree(goneJson.out()).at("/error/code").asText()).isEqualTo("NOT_FOUND");
    }

    /** The locally built test images stand in for the seed's registry images; pulling is off (no registry here). */
    static final Map<String, String> LOCAL_IMAGES = Distribution.LOCAL_IMAGES;

    /** Fails in CI, skips on a developer's machine, when the provider is not usable here. */
    static void requireProvider(String kind) throws Exception {
        distribution.requireProvider(kind, Map.of());
    }

    @Test
    void dockerRunsPythonWhenForced() throws Exception {
        requireProvider("docker");
        Outcome outcome = stagecraft(LOCAL_IMAGES, "run", "--provider", "docker", "--tool-type", "python", "--",
                "python3", "-c", "print(6*7)");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).isEqualTo("42\n");
    }

    @Test
    void highLevelSelectsDockerWithGvisorAndExplainsWhy() throws Exception {
        requireProvider("docker");
        Outcome select = stagecraft(LOCAL_IMAGES, "select", "--explain", "--security", "high");
        assertThat(select.exitCode()).as(select.err()).isZero();
        assertThat(select.out()).contains("selected: docker (isolation user-kernel)")
                .contains("- sandbox    dropped by security: offers isolation up to container; level high needs user-kernel");
        Outcome run = stagecraft(LOCAL_IMAGES, "run", "--json", "--security", "high", "--", "uname", "-r");
        JsonNode document = new ObjectMapper().readTree(run.out());
        assertThat(document.get("provider").asText()).as(run.err()).isEqualTo("docker");
        assertThat(document.get("stdout").asText().trim()).isEqualTo("4.4.0");
    }

    @Test
    void doctorReportsTheSandbox() throws Exception {
        Outcome outcome = stagecraft("doctor");
        assertThat(outcome.exitCode()).as(outcome.err()).isZero();
        assertThat(outcome.out()).contains("[ok]   sandbox");
    }

    /** This host has no NVIDIA driver: the gpu plugin loads, says why it is unavailable, and --gpus is refused in one line. */
    @Test
    void gpuPluginSaysWhyItIsUnavailableAndGpusAreRefused() throws Exception {
        Outcome doctor = stagecraft("doctor");
        assertThat(doctor.out()).contains("[fail] gpu 0.1.0: NVML (libnvidia-ml.so.1) cannot be loaded: ");
        Outcome select = stagecraft("select", "--explain", "--gpus", "1");
        assertThat(select.exitCode()).isNotZero();
        assertThat(select.out() + select.err()).contains("gpu").contains("cannot attach GPUs (1 asked)");
    }
}
