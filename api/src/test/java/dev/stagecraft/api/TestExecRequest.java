package dev.stagecraft.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestExecRequest {

    @Test
    void defaults() {
        ExecRequest request = ExecRequest.of("sh", "-c", "echo hi");
        assertThat(request.argv()).containsExactly("sh", "-c", "echo hi");
        assertThat(request.stdin()).isEmpty();
        assertThat(request.env()).isEmpty();
        assertThat(request.workingDir()).isEmpty();
        assertThat(request.timeout()).isEqualTo(Duration.ofSeconds(30)).isEqualTo(ExecRequest.DEFAULT_TIMEOUT);
        assertThat(request.outputLimit()).isEqualTo(1L << 20).isEqualTo(ExecRequest.DEFAULT_OUTPUT_LIMIT);
    }

    @Test
    void builderSetsEveryField() {
        ExecRequest request = ExecRequest.builder(List.of("cat"))
                .stdin("héllo")
                .env("B", "2").env(Map.of("A", "1"))
                .workingDir("sub/dir")
                .timeout(Duration.ofMillis(250))
                .outputLimit(10)
                .build();
        assertThat(new String(request.stdin(), StandardCharsets.UTF_8)).isEqualTo("héllo");
        assertThat(request.env()).containsOnly(Map.entry("A", "1"), Map.entry("B", "2"));
        assertThat(request.workingDir()).contains("sub/dir");
        assertThat(request.timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(request.outputLimit()).isEqualTo(10);
    }

    @Test
    void isImmutableAgainstTheCallersArraysAndCollections() {
        byte[] stdin = {1, 2, 3};
        List<String> argv = new ArrayList<>(List.of("echo", "a"));
        Map<String, String> env = new HashMap<>(Map.of("K", "V"));
        ExecRequest request = new ExecRequest(argv, stdin, env, Optional.empty(), Duration.ofSeconds(1), 100);
        stdin[0] = 9;
        argv.add("b");
        env.put("X", "Y");
        assertThat(request.stdin()).containsExactly(1, 2, 3);
        assertThat(request.argv()).containsExactly("echo", "a");
        assertThat(request.env()).containsOnlyKeys("K");
        request.stdin()[1] = 7;
        assertThat(request.stdin()).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> request.argv().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesAnEmptyCommand() {
        assertInvalid(() -> ExecRequest.of(), "a command is required (argv is empty)");
        assertInvalid(() -> ExecRequest.of(""), "a command is required (argv is empty)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A=B", "NUL\u0000"})
    void refusesBadEnvironmentVariableNames(String name) {
        assertInvalid(() -> ExecRequest.builder("env").env(name, "x").build(),
                "environment variable name '" + name + "' is invalid");
    }

    @Test
    void refusesNonPositiveTimeoutsAndLimits() {
        assertInvalid(() -> ExecRequest.builder("true").timeout(Duration.ZERO).build(), "timeout must be positive, got PT0S");
        assertInvalid(() -> ExecRequest.builder("true").timeout(Duration.ofSeconds(-1)).build(), "timeout must be positive");
        assertInvalid(() -> ExecRequest.builder("true").outputLimit(0).build(), "output limit must be positive, got 0");
        assertInvalid(() -> ExecRequest.builder("true").outputLimit(-5).build(), "output limit must be positive, got -5");
    }

    @Test
    void refusesNulls() {
        assertThatThrownBy(() -> new ExecRequest(null, new byte[0], Map.of(), Optional.empty(), Duration.ofSeconds(1), 1))
                .isInstanceOf(NullPointerException.class).hasMessage("argv is null");
        assertThatThrownBy(() -> new ExecRequest(List.of("x"), null, Map.of(), Optional.empty(), Duration.ofSeconds(1), 1))
                .isInstanceOf(NullPointerException.class).hasMessage("stdin is null");
        assertThatThrownBy(() -> new ExecRequest(List.of("x"), new byte[0], Map.of(), Optional.empty(), null, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("timeout is null");
    }

    private static void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StagecraftException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
            assertThat(e.getMessage()).contains(message);
            assertThat(e.describe()).isEqualTo("INVALID_REQUIREMENT: " + e.getMessage());
        });
    }
}
