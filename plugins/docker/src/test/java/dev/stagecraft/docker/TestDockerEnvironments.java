package dev.stagecraft.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.tck.Deadline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the docker provider adds to the contract: images, runtimes, hardening, labels, cleanup. Real Engine. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestDockerEnvironments extends DockerProviderTest {

    private static ExecResult sh(ExecutionEnvironment env, String script) {
        return env.execute(ExecRequest.builder("sh", "-c", script).timeout(Duration.ofSeconds(30)).build());
    }

    @Test
    void aMissingImageFailsWithOneClearLine() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("python")
                .option("image", "stagecraft/not-built-anywhere:0").build();
        EnvironmentSpec spec = DockerFixtures.spec(requirement, IsolationLevel.CONTAINER);
        Throwable thrown = catchThrowable(() -> provider.create(spec));
        assertThat(thrown).isInstanceOf(ProvisioningException.class);
        String message = thrown.getMessage();
        assertThat(message).doesNotContain("\n").contains("stagecraft/not-built-anywhere:0")
                .contains("pull").contains("docker load").contains("providers.docker.images.python");
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.PROVISIONING_FAILED);
        assertThat(DockerFixtures.client(provider).listContainersCmd().withShowAll(true)
                .withNameFilter(List.of(DockerEnvironment.containerName(spec.id()))).exec())
                .as("nothing is left of the failed create").isEmpty();
    }

    @Test
    void pythonRunsInThePythonImage() {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().toolType("python").build(), IsolationLevel.CONTAINER);
        ExecResult result = env.execute(ExecRequest.builder("python3", "-c", "print(6*7)").timeout(Duration.ofSeconds(30)).build());
        assertThat(result.stderrText()).isEmpty();
        assertThat(result.stdoutText()).isEqualTo("42\n");
        assertThat(result.succeeded()).isTrue();
    }

    @Test
    void gvisorRunsItsOwnKernel() throws Exception {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), IsolationLevel.USER_KERNEL);
        String host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        ExecResult inside = env.execute(ExecRequest.builder("uname", "-r").timeout(Duration.ofSeconds(30)).build());
        assertThat(inside.exitCode()).isZero();
        assertThat(inside.stdoutText().trim()).isNotEmpty().isNotEqualTo(host);
        assertThat(env.isolation()).isEqualTo(IsolationLevel.USER_KERNEL);
        InspectContainerResponse container = inspect(env);
        assertThat(container.getHostConfig().getRuntime()).isEqualTo("runsc");
    }

    @ParameterizedTest
    @EnumSource(value = IsolationLevel.class, names = {"CONTAINER", "USER_KERNEL"})
    void theDockerSocketIsNotReachableInside(IsolationLevel isolation) {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), isolation);
        ExecResult result = sh(env, "for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock;"
                + " do [ -e \"$s\" ] && echo \"found $s\"; done; ls /var/run /run 2>/dev/null | grep -c sock; true");
        assertThat(result.stdoutText()).doesNotContain("found").startsWith("0");
        ExecResult id = sh(env, "id -u; id -g; cat /proc/self/status | grep -E '^(CapEff|NoNewPrivs)'");
        assertThat(id.stdoutText()).startsWith("1000\n1000\n").contains("CapEff:\t0000000000000000");
        if (isolation == IsolationLevel.CONTAINER) {
            // gVisor's /proc does not show the flag; runc's kernel does
            assertThat(id.stdoutText()).containsPattern("NoNewPrivs:\\s+1");
        }
        assertThat(sh(env, "touch /etc/x 2>/dev/null && echo wrote-root || echo read-only").stdoutText()).isEqualTo("read-only\n");
        assertThat(sh(env, "touch /tmp/x /workspace/y && echo writable").stdoutText()).isEqualTo("writable\n");
    }

    @Test
    void withoutANetworkEachContainerStillHasANetworkNamespaceOfItsOwn() throws Exception {
        // The Engine is told the network is disabled (no libnetwork sandbox); the runtime must still unshare it, or
        // two tenants would share a loopback and abstract unix sockets with each other and with the host.
        ExecutionEnvironment first = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        ExecutionEnvironment second = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        String inFirst = sh(first, "readlink /proc/self/ns/net").stdoutText().trim();
        String inSecond = sh(second, "readlink /proc/self/ns/net").stdoutText().trim();
        assertThat(inFirst).startsWith("net:[").isNotEqualTo(host).isNotEqualTo(inSecond);
        assertThat(inSecond).startsWith("net:[").isNotEqualTo(host);
        assertThat(sh(first, "cat /proc/net/dev").stdoutText().lines().skip(2).map(l -> l.trim().split(":")[0]))
                .containsExactly("lo");
    }

    @Test
    void containerAndVolumeCarryTheLabelsAndTheLimits() {
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().memoryBytes(256L << 20).cpus(0.25)
                .label("team", "tools").build();
        EnvironmentSpec spec = DockerFixtures.spec(requirement, IsolationLevel.CONTAINER);
        ExecutionEnvironment env = provider.create(spec);
        made.add(env);
        InspectContainerResponse container = inspect(env);
        assertThat(container.getName()).isEqualTo("/" + DockerEnvironment.containerName(spec.id()));
        assertThat(container.getConfig().getLabels()).containsAllEntriesOf(spec.labels().values())
                .containsEntry("dev.stagecraft.kind", "docker");
        String volume = ((DockerEnvironment) env).volume();
        assertThat(DockerFixtures.client(provider).inspectVolumeCmd(volume).exec().getLabels())
                .containsAllEntriesOf(spec.labels().values());
        HostConfig host = container.getHostConfig();
        assertThat(host.getMemory()).isEqualTo(256L << 20);
        assertThat(host.getMemorySwap()).as("no swap beyond the memory limit").isEqualTo(256L << 20);
        assertThat(host.getNanoCPUs()).isEqualTo(250_000_000L);
        assertThat(host.getPidsLimit()).isEqualTo(256L);
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(container.getConfig().getNetworkDisabled()).as("no libnetwork sandbox without a network").isTrue();
        assertThat(Arrays.stream(host.getCapDrop()).map(Enum::name)).containsExactly("ALL");
        assertThat(host.getSecurityOpts()).contains("no-new-privileges");
        assertThat(host.getTmpFs()).containsKey("/tmp");
        assertThat(host.getTmpFs().get("/tmp")).contains("size=" + (100L << 20));
        assertThat(host.getInit()).isTrue();
        assertThat(container.getConfig().getUser()).isEqualTo("1000:1000");
        assertThat(container.getConfig().getEnv()).as("no variables set on the container").noneMatch(e -> e.startsWith("TEAM"));
    }

    @Test
    void theWorkspaceSurvivesStopAndStartAndDestroyLeavesNothing() {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().persistentStorage(true).build(), IsolationLevel.CONTAINER);
        env.putFile("notes/kept.txt", "kept".getBytes(UTF_8));
        assertThat(sh(env, "stat -c %u:%g notes/kept.txt notes").stdoutText()).isEqualTo("1000:1000\n1000:1000\n");
        env.stop();
        assertThat(env.getFile("notes/kept.txt", 100)).as("files can be read while stopped").isEqualTo("kept".getBytes(UTF_8));
        env.start();
        assertThat(sh(env, "cat notes/kept.txt").stdoutText()).isEqualTo("kept");
        DockerEnvironment docker = (DockerEnvironment) env;
        DockerClient client = DockerFixtures.client(provider);
        env.destroy();
        assertThat(catchThrowable(() -> client.inspectContainerCmd(docker.containerId()).exec())).isInstanceOf(NotFoundException.class);
        assertThat(catchThrowable(() -> client.inspectVolumeCmd(docker.volume()).exec())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aCommandRunningWhileTheEnvironmentStopsEndsAsStopped() throws Exception {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> sh(env, "sleep 20"));
        Deadline.await(Duration.ofSeconds(10), "the command runs",
                () -> env.status() == dev.stagecraft.api.EnvironmentStatus.RUNNING);
        env.stop();
        ExecResult result = running.get(20, TimeUnit.SECONDS);
        assertThat(result.termination()).isEqualTo(dev.stagecraft.api.Termination.ENVIRONMENT_STOPPED);
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void anImageWithoutAWorkspaceDirectoryStillGetsAWritableOne() throws Exception {
        String image = "stagecraft/test-no-workspace:" + java.util.UUID.randomUUID().toString().substring(0, 8);
        DockerClient client = DockerFixtures.client(provider);
        java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
        try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
            byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
            var binary = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("bin/busybox");
            binary.setMode(0100755);
            binary.setSize(busybox.length);
            out.putArchiveEntry(binary);
            out.write(busybox);
            out.closeArchiveEntry();
            for (String applet : List.of("sh", "env", "kill", "true", "test", "chmod", "sleep", "cat", "stat", "rm")) {
                var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("bin/" + applet,
                        org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
                link.setLinkName("busybox");
                out.putArchiveEntry(link);
                out.closeArchiveEntry();
            }
            var tmp = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("tmp/");
            tmp.setMode(041777);
            out.putArchiveEntry(tmp);
            out.closeArchiveEntry();
        }
        String[] nameAndTag = image.split(":");
        try (EngineConnection c = provider.engineForTests().connect()) {
            c.send("POST", "/images/create?fromSrc=-&repo=" + Engine.encode(nameAndTag[0]) + "&tag=" + nameAndTag[1],
                    java.util.Map.of("Content-Type", "application/x-tar", "Connection", "close"), tar.toByteArray());
            assertThat(c.status()).as("docker import: %s", c.bodyText(4096)).isEqualTo(200);
            c.bodyText(1 << 20);
        }
        try {
            ExecutionEnvironment env = create(EnvironmentRequirement.builder().option("image", image).build(), IsolationLevel.CONTAINER);
            env.putFile("made/by-put.txt", "put".getBytes(UTF_8));
            assertThat(sh(env, "cat made/by-put.txt && printf inside > by-exec.txt && stat -c %u made/by-put.txt by-exec.txt")
                    .stdoutText()).isEqualTo("put1000\n1000\n");
            env.destroy();
        } finally {
            client.removeImageCmd(image).withForce(true).exec();
        }
    }

    @Test
    void streamingDeliversOutputAsItComesWithinTheLimit() {
        ExecutionEnvironment env = create(EnvironmentRequirement.builder().build(), IsolationLevel.CONTAINER);
        StringBuffer out = new StringBuffer();
        StringBuffer err = new StringBuffer();
        ExecResult result = env.execute(ExecRequest.builder("sh", "-c", "echo one; echo two >&2; echo three-and-more")
                .outputLimit(9).timeout(Duration.ofSeconds(30)).build(), new dev.stagecraft.api.OutputListener() {
                    @Override
                    public void stdout(byte[] chunk, int offset, int length) {
                        out.append(new String(chunk, offset, length, UTF_8));
                    }

                    @Override
                    public void stderr(byte[] chunk, int offset, int length) {
                        err.append(new String(chunk, offset, length, UTF_8));
                    }
                });
        assertThat(out.toString()).isEqualTo("one\nthree");
        assertThat(err.toString()).isEqualTo("two\n");
        assertThat(result.truncated()).isTrue();
        assertThat(result.stdout()).isEmpty();
        assertThat(result.succeeded()).isTrue();
    }
}
