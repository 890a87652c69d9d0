package dev.stagecraft.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestEnvironmentRequirement {

    @Test
    void builderDefaults() {
        EnvironmentRequirement r = EnvironmentRequirement.builder().build();
        assertThat(r.toolType()).isEqualTo("generic");
        assertThat(r.securityLevel()).isEqualTo(SecurityLevel.MEDIUM);
        assertThat(r.isolation()).isEmpty();
        assertThat(r.resources()).isEqualTo(Resources.NONE);
        assertThat(r.expectedDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.network()).isFalse();
        assertThat(r.persistentStorage()).isFalse();
        assertThat(r.provider()).isEmpty();
        assertThat(r.ttl()).isEqualTo(Duration.ZERO);
        assertThat(r.labels()).isEmpty();
        assertThat(r.options()).isEmpty();
        assertThat(r.gpu()).isFalse();
    }

    @Test
    void toBuilderRoundTripsEveryField() {
        EnvironmentRequirement r = EnvironmentRequirement.builder()
                .toolType("python").securityLevel(SecurityLevel.HIGH).isolation(IsolationLevel.VM)
                .cpus(1.5).memoryBytes(512L << 20).diskBytes(1L << 30).gpus(2)
                .expectedDuration(Duration.ofMinutes(5)).network(true).persistentStorage(true)
                .provider("docker").ttl(Duration.ofMinutes(10))
                .label("team", "ml").option("image", "python:3.11-slim")
                .build();
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.gpu()).isTrue();
        assertThat(r.resources()).isEqualTo(new Resources(1.5, 512L << 20, 1L << 30, 2));
        assertThat(r.toBuilder().provider(null).isolation(null).build())
                .satisfies(c -> {
                    assertThat(c.provider()).isEmpty();
                    assertThat(c.isolation()).isEmpty();
                    assertThat(c.toolType()).isEqualTo("python");
                });
    }

    @Test
    void labelsAndOptionsAreCopied() {
        Map<String, String> labels = new HashMap<>(Map.of("a", "1"));
        EnvironmentRequirement r = new EnvironmentRequirement("t", SecurityLevel.LOW, Optional.empty(), Resources.NONE,
                Duration.ZERO, false, false, Optional.empty(), Duration.ZERO, labels, Map.of());
        labels.put("b", "2");
        assertThat(r.labels()).containsOnlyKeys("a");
        assertThatThrownBy(() -> r.labels().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "\t"})
    void refusesBlankToolType(String toolType) {
        assertInvalid(() -> EnvironmentRequirement.builder().toolType(toolType).build(), "tool type must not be blank");
    }

    @Test
    void refusesNegativeDurations() {
        assertInvalid(() -> EnvironmentRequirement.builder().expectedDuration(Duration.ofSeconds(-1)).build(),
                "expected duration must not be negative, got PT-1S");
        assertInvalid(() -> EnvironmentRequirement.builder().ttl(Duration.ofMillis(-1)).build(),
                "ttl must not be negative");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-leading", "has space", "x=y", "ünïcode"})
    void refusesBadLabelKeys(String key) {
        assertInvalid(() -> EnvironmentRequirement.builder().label(key, "v").build(), "label key '" + key + "'");
    }

    @Test
    void labelKeyLengthLimitIs63() {
        String ok = "k".repeat(63);
        assertThat(EnvironmentRequirement.builder().label(ok, "v").build().labels()).containsKey(ok);
        assertInvalid(() -> EnvironmentRequirement.builder().label(ok + "k", "v").build(), "1-63 characters");
        assertThat(EnvironmentRequirement.builder().label("team.io/name_x-1", "v").build().labels())
                .containsKey("team.io/name_x-1");
    }

    @Test
    void refusesLongOrControlLabelValues() {
        assertThat(EnvironmentRequirement.builder().label("k", "v".repeat(253)).build().labels().get("k")).hasSize(253);
        assertInvalid(() -> EnvironmentRequirement.builder().label("k", "v".repeat(254)).build(), "label 'k' has a value");
        assertInvalid(() -> EnvironmentRequirement.builder().label("k", "a\nb").build(), "control characters");
    }

    @ParameterizedTest
    @CsvSource({"-1, 0, 0, 0, cpus must be a finite number >= 0", "0, -1, 0, 0, memory must be >= 0 bytes",
            "0, 0, -1, 0, disk must be >= 0 bytes", "0, 0, 0, -1, gpus must be >= 0"})
    void resourcesRefuseNegatives(double cpus, long memory, long disk, int gpus, String message) {
        assertInvalid(() -> new Resources(cpus, memory, disk, gpus), message);
    }

    @Test
    void resourcesRefuseNonFiniteCpus() {
        assertInvalid(() -> Resources.NONE.withCpus(Double.NaN), "cpus must be a finite number");
        assertInvalid(() -> Resources.NONE.withCpus(Double.POSITIVE_INFINITY), "cpus must be a finite number");
    }

    @Test
    void resourcesOrElseFillsOnlyUnstatedFields() {
        Resources asked = new Resources(0, 256, 0, 1);
        assertThat(asked.orElse(new Resources(0.5, 512, 1024, 0))).isEqualTo(new Resources(0.5, 256, 1024, 1));
    }

    @ParameterizedTest
    @CsvSource({"low, LOW", "MEDIUM, MEDIUM", " High , HIGH", "critical, CRITICAL"})
    void parsesSecurityLevels(String text, SecurityLevel level) {
        assertThat(SecurityLevel.parse(text)).isEqualTo(level);
        assertThat(level.label()).isEqualTo(level.name().toLowerCase(java.util.Locale.ROOT));
    }

    @Test
    void unknownSecurityLevelNamesTheChoices() {
        assertInvalid(() -> SecurityLevel.parse("extreme"),
                "unknown security level 'extreme' (expected one of low, medium, high, critical)");
        assertInvalid(() -> SecurityLevel.parse(null), "unknown security level 'null'");
    }

    @ParameterizedTest
    @CsvSource({"process, PROCESS", "container, CONTAINER", "user-kernel, USER_KERNEL", "USER_KERNEL, USER_KERNEL", "vm, VM"})
    void parsesIsolationLevels(String text, IsolationLevel level) {
        assertThat(IsolationLevel.parse(text)).isEqualTo(level);
    }

    @Test
    void isolationOrdering() {
        assertThat(IsolationLevel.VM.atLeast(IsolationLevel.USER_KERNEL)).isTrue();
        assertThat(IsolationLevel.CONTAINER.atLeast(IsolationLevel.USER_KERNEL)).isFalse();
        assertThat(IsolationLevel.PROCESS.atLeast(IsolationLevel.PROCESS)).isTrue();
        assertInvalid(() -> IsolationLevel.parse("gvisor"),
                "unknown isolation 'gvisor' (expected one of process, container, user-kernel, vm)");
    }

    private static void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StagecraftException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
            assertThat(e.getMessage()).contains(message);
        });
    }
}
