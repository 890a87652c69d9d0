package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** providers.kubernetes: its defaults, every key, and one-line errors naming the key. No cluster needed. */
class TestKubernetesSettings {
    private static KubernetesSettings read(Map<String, ?> values) {
        return KubernetesSettings.from(new Settings("conf/stagecraft.yaml", "providers.kubernetes", values));
    }

    private static String error(Map<String, ?> values) {
        Throwable thrown = catchThrowable(() -> read(values));
        assertThat(thrown).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) thrown).code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
        return thrown.getMessage();
    }

    @Test
    void defaults() {
        KubernetesSettings s = read(Map.of());
        assertThat(s.kubeconfig()).isEmpty();
        assertThat(s.context()).isEmpty();
        assertThat(s.namespace()).isEqualTo("default");
        assertThat(s.imageFor("python")).isEqualTo("python:3.11-slim");
        assertThat(s.imageFor("anything")).isEqualTo("alpine");
        assertThat(s.imagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(s.userKernelClass()).isEqualTo("gvisor");
        assertThat(s.limitsFor(EnvironmentRequirement.builder().build())).isEqualTo(new Resources(0.5, 512L << 20, 0, 0));
        assertThat(s.limitsFor(EnvironmentRequirement.builder().cpus(2).build())).isEqualTo(new Resources(2, 512L << 20, 0, 0));
        assertThat(s.tmpSizeBytes()).isEqualTo(100L << 20);
        assertThat(s.workspaceSizeBytes()).isEqualTo(1L << 30);
        assertThat(s.openFiles()).isEqualTo(1024);
        assertThat(s.fileSizeBytes()).isEqualTo(1L << 30);
        assertThat(s.path()).isEqualTo(KubernetesSettings.DEFAULT_PATH);
        assertThat(s.readyTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(s.startupEstimate()).isEqualTo(Duration.ofSeconds(4));
        assertThat(s.executionEfficiency()).isEqualTo(8);
        assertThat(s.costPerHour()).isZero();
        assertThat(s.networkPolicyEnforced()).isFalse();
    }

    @Test
    void everyKeyIsRead() {
        KubernetesSettings s = read(Map.ofEntries(Map.entry("kubeconfig", "/etc/k.conf"), Map.entry("context", "prod"),
                Map.entry("namespace", "tools"), Map.entry("images", Map.of("default", "busybox", "Python", "py:1")),
                Map.entry("image-pull-policy", "Never"), Map.entry("runtime-class", "kata"), Map.entry("memory", "1g"),
                Map.entry("cpus", 1.5), Map.entry("tmp-size", "32m"), Map.entry("workspace-size", "2g"),
                Map.entry("open-files", 256), Map.entry("file-size", "8m"), Map.entry("path", "/bin"),
                Map.entry("ready-timeout", "30s"), Map.entry("startup-estimate", "4s"), Map.entry("execution-efficiency", 7),
                Map.entry("cost-per-hour", 0.25), Map.entry("network-policy-enforced", true)));
        assertThat(s.kubeconfig()).isEqualTo(Optional.of(Path.of("/etc/k.conf")));
        assertThat(s.context()).contains("prod");
        assertThat(s.namespace()).isEqualTo("tools");
        assertThat(s.imageFor("other")).isEqualTo("busybox");
        assertThat(s.imageFor("python")).isEqualTo("py:1");
        assertThat(s.imagePullPolicy()).isEqualTo("Never");
        assertThat(s.userKernelClass()).isEqualTo("kata");
        assertThat(s.memoryBytes()).isEqualTo(1L << 30);
        assertThat(s.cpus()).isEqualTo(1.5);
        assertThat(s.tmpSizeBytes()).isEqualTo(32L << 20);
        assertThat(s.workspaceSizeBytes()).isEqualTo(2L << 30);
        assertThat(s.openFiles()).isEqualTo(256);
        assertThat(s.fileSizeBytes()).isEqualTo(8L << 20);
        assertThat(s.path()).isEqualTo("/bin");
        assertThat(s.readyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.startupEstimate()).isEqualTo(Duration.ofSeconds(4));
        assertThat(s.executionEfficiency()).isEqualTo(7);
        assertThat(s.costPerHour()).isEqualTo(0.25);
        assertThat(s.networkPolicyEnforced()).isTrue();
    }

    @Test
    void badValuesNameTheirKey() {
        assertThat(error(Map.of("namespace", "Bad_NS"))).contains("providers.kubernetes.namespace");
        assertThat(error(Map.of("image-pull-policy", "Sometimes"))).contains("image-pull-policy").contains("Never");
        assertThat(error(Map.of("images", Map.of("python", "two words")))).contains("images.python");
        assertThat(error(Map.of("runtime-class", "G V"))).contains("runtime-class");
        assertThat(error(Map.of("memory", "1m"))).contains("memory");
        assertThat(error(Map.of("cpus", 0))).contains("cpus");
        assertThat(error(Map.of("tmp-size", "1k"))).contains("tmp-size");
        assertThat(error(Map.of("ready-timeout", "0s"))).contains("ready-timeout");
        assertThat(error(Map.of("cost-per-hour", -1))).contains("cost-per-hour");
    }
}
