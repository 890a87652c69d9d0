package dev.stagecraft.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** providers.docker: the brief's defaults, overrides, and one-line errors naming the key. No Engine needed. */
class TestDockerSettings {
    private static DockerSettings read(Map<String, ?> values) {
        return DockerSettings.from(new Settings("conf/stagecraft.yaml", "providers.docker", values));
    }

    private static String error(Map<String, ?> values) {
        Throwable thrown = catchThrowable(() -> read(values));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
        return thrown.getMessage();
    }

    @Test
    void defaultsAreTheBriefs() {
        DockerSettings s = read(Map.of());
        assertThat(s.host().toString()).isEqualTo("unix:///var/run/docker.sock");
        assertThat(s.imageFor("python", false)).isEqualTo("python:3.11-slim");
        assertThat(s.imageFor("nodejs", false)).isEqualTo("node:18-alpine");
        assertThat(s.imageFor("java", false)).isEqualTo("openjdk:17-jre-slim");
        assertThat(s.imageFor("data_analysis", false)).isEqualTo("jupyter/scipy-notebook");
        assertThat(s.imageFor("ml_inference", false)).isEqualTo("tensorflow/tensorflow:2.13.0");
        assertThat(s.imageFor("web_scraping", false)).isEqualTo("selenium/standalone-chrome");
        assertThat(s.imageFor("anything", false)).isEqualTo("alpine");
        assertThat(s.imageFor("ml_inference", true)).contains("pytorch");
        assertThat(s.limitFor("other")).isEqualTo(new DockerSettings.Limit(512L << 20, 0.5));
        assertThat(s.limitFor("data_analysis")).isEqualTo(new DockerSettings.Limit(2L << 30, 1.0));
        assertThat(s.openCidrs()).as("nothing denied is opened").isEmpty();
        assertThat(s.limitFor("ml_inference")).isEqualTo(new DockerSettings.Limit(4L << 30, 2.0));
        assertThat(s.limitFor("web_scraping")).isEqualTo(new DockerSettings.Limit(1L << 30, 1.0));
        assertThat(s.limitsFor(EnvironmentRequirement.builder().toolType("data_analysis").build()))
                .as("what a requirement does not state comes from its tool type's limits")
                .isEqualTo(new Resources(1.0, 2L << 30, 0, 0));
        assertThat(s.limitsFor(EnvironmentRequirement.builder().toolType("data_analysis").cpus(0.25).build()))
                .isEqualTo(new Resources(0.25, 2L << 30, 0, 0));
        assertThat(s.tmpSizeBytes()).isEqualTo(100L << 20);
        assertThat(s.openFiles()).isEqualTo(1024);
        assertThat(s.fileSizeBytes()).isEqualTo(1L << 30);
        assertThat(s.user()).isEqualTo("1000:1000");
        assertThat(s.pull()).as("a missing image is pulled, as docker run does").isTrue();
        assertThat(s.runcRuntime()).isEqualTo("runc");
        assertThat(s.userKernelRuntime()).isEqualTo("runsc");
        assertThat(s.startupEstimate()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.executionEfficiency()).isEqualTo(8);
        assertThat(s.capabilitiesFor("python")).isEmpty();
    }

    private static DockerSettings read(Map<String, Object> settings, String key, Object value) {
        Map<String, Object> all = new java.util.HashMap<>(settings);
        all.put(key, value);
        return read(all);
    }

    @Test
    void everyNumberCanBeConfigured() {
        DockerSettings s = read(Map.of("images", Map.of("python", "stagecraft/python:3.11", "default", "stagecraft/busybox"),
                "limits", Map.of("python", Map.of("memory", "1g", "cpus", "1.5")),
                "runtimes", Map.of("user-kernel", "gvisor"), "pull", "false", "tmp-size", "32m",
                "open-files", "256",
                "capabilities", Map.of("web_scraping", List.of("CAP_SYS_ADMIN")),
                "startup-estimate", "3s", "execution-efficiency", "7", "host", "tcp://127.0.0.1:2375"), "file-size", "8m");
        assertThat(s.imageFor("Python", false)).isEqualTo("stagecraft/python:3.11");
        assertThat(s.imageFor("nodejs", false)).as("the rest of the table stays").isEqualTo("node:18-alpine");
        assertThat(s.imageFor("other", false)).isEqualTo("stagecraft/busybox");
        assertThat(s.limitFor("python")).isEqualTo(new DockerSettings.Limit(1L << 30, 1.5));
        assertThat(s.userKernelRuntime()).isEqualTo("gvisor");
        assertThat(s.pull()).isFalse();
        assertThat(s.tmpSizeBytes()).isEqualTo(32L << 20);
        assertThat(s.openFiles()).isEqualTo(256);
        assertThat(s.fileSizeBytes()).isEqualTo(8L << 20);
        assertThat(s.capabilitiesFor("web_scraping")).containsExactly("SYS_ADMIN");
        assertThat(s.startupEstimate()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.executionEfficiency()).isEqualTo(7);
        assertThat(s.host().getPort()).isEqualTo(2375);
    }

    @Test
    void badValuesFailWithOneLineNamingTheKey() {
        assertThat(error(Map.of("host", "http://x"))).startsWith("conf/stagecraft.yaml: providers.docker.host:");
        assertThat(error(Map.of("images", Map.of("python", "Not An Image!"))))
                .startsWith("conf/stagecraft.yaml: providers.docker.images.python:");
        assertThat(error(Map.of("limits", Map.of("python", Map.of("memory", "1k")))))
                .startsWith("conf/stagecraft.yaml: providers.docker.limits.python.memory:");
        assertThat(error(Map.of("tmp-size", "12x"))).contains("providers.docker.tmp-size");
        assertThat(error(Map.of("file-size", "100k"))).contains("providers.docker.file-size");
        assertThat(error(Map.of("open-files", "8"))).contains("providers.docker.open-files");
        assertThat(error(Map.of("execution-efficiency", "11"))).contains("providers.docker.execution-efficiency");
        assertThat(error(Map.of("capabilities", Map.of("python", List.of("rm -rf")))))
                .contains("providers.docker.capabilities.python");
        assertThat(error(Map.of("runtimes", Map.of("user-kernel", "a b")))).contains("providers.docker.runtimes.user-kernel");
        assertThat(error(Map.of("open-cidrs", List.of("10.1.0.0/16", "intranet")))).doesNotContain("\n")
                .contains("providers.docker.open-cidrs").contains("'intranet' is not an address range");
        assertThat(read(Map.of("open-cidrs", List.of("10.1.2.3/16"))).openCidrs()).extracting(Object::toString)
                .containsExactly("10.1.0.0/16");
        for (String message : List.of(error(Map.of("pull", "maybe")), error(Map.of("readiness-command", List.of())))) {
            assertThat(message).doesNotContain("\n");
        }
    }
}
