package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The options {@code ports} and {@code config.<key>}: what they hold, and one line naming the option for each bad one. No cluster needed. */
class TestPodOptions {
    private static PodOptions of(Map<String, String> options) {
        EnvironmentRequirement.Builder b = EnvironmentRequirement.builder();
        options.forEach(b::option);
        return PodOptions.of(b.build());
    }

    private static String refusal(Map<String, String> options) {
        Throwable refused = catchThrowable(() -> of(options));
        assertThat(refused).as("options %s", options.keySet()).isInstanceOf(StagecraftException.class);
        assertThat(((StagecraftException) refused).code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
        assertThat(refused.getMessage()).doesNotContain("\n");
        return refused.getMessage();
    }

    @Test
    void noOptionsMakeNothing() {
        PodOptions none = of(Map.of("image", "alpine"));
        assertThat(none.exposed()).isFalse();
        assertThat(none.hasConfig()).isFalse();
    }

    @Test
    void portsAreACommaSeparatedList() {
        assertThat(of(Map.of("ports", "8080")).ports()).containsExactly(8080);
        assertThat(of(Map.of("ports", "8080, 9000,1")).ports()).containsExactly(8080, 9000, 1);
        assertThat(of(Map.of("ports", "65535")).ports()).containsExactly(65535);
        assertThat(PodOptions.portName(65535)).hasSizeLessThanOrEqualTo(15).isEqualTo("p65535");
    }

    @Test
    void badPortsAreRefusedNamingTheOption() {
        assertThat(refusal(Map.of("ports", "0"))).startsWith("option ports: '0' is not a TCP port (1-65535)");
        assertThat(refusal(Map.of("ports", "65536"))).startsWith("option ports: '65536' is not a TCP port");
        assertThat(refusal(Map.of("ports", "abc"))).startsWith("option ports: 'abc' is not a TCP port");
        assertThat(refusal(Map.of("ports", "-1"))).startsWith("option ports: '-1' is not a TCP port");
        assertThat(refusal(Map.of("ports", ""))).startsWith("option ports: '' is not a TCP port");
        assertThat(refusal(Map.of("ports", "80,"))).startsWith("option ports: '' is not a TCP port");
        assertThat(refusal(Map.of("ports", "80\n81"))).startsWith("option ports: '80?81' is not a TCP port");
        assertThat(refusal(Map.of("ports", "80,80"))).isEqualTo("option ports: port 80 is listed twice");
        String seventeen = String.join(",", java.util.stream.IntStream.rangeClosed(1, 17).mapToObj(Integer::toString).toList());
        assertThat(refusal(Map.of("ports", seventeen))).isEqualTo("option ports: 17 ports, at most 16");
    }

    @Test
    void configKeysBecomeEntries() {
        PodOptions options = of(Map.of("config.app.yaml", "a: 1\nb: two\n", "config.TOKEN_file-2", "", "other", "x"));
        assertThat(options.config()).containsExactly(Map.entry("TOKEN_file-2", ""), Map.entry("app.yaml", "a: 1\nb: two\n"));
        assertThat(of(Map.of("config." + "k".repeat(253), "v")).config()).containsOnlyKeys("k".repeat(253));
        assertThat(of(Map.of("config.a", "x".repeat(PodOptions.MAX_CONFIG_BYTES - 1))).hasConfig()).isTrue();
    }

    @Test
    void badConfigKeysAndTooMuchDataAreRefusedNamingTheOption() {
        assertThat(refusal(Map.of("config.a/b", "v"))).startsWith("option config.a/b: the key 'a/b' must be letters, digits");
        assertThat(refusal(Map.of("config.", "v"))).startsWith("option config.: the key '' must be");
        assertThat(refusal(Map.of("config..", "v"))).isEqualTo("option config..: the key must not be '.' or start with '..'");
        assertThat(refusal(Map.of("config...", "v"))).isEqualTo("option config...: the key must not be '.' or start with '..'");
        assertThat(refusal(Map.of("config...data", "v"))).startsWith("option config...data: the key must not");
        assertThat(refusal(Map.of("config.a\nb", "v"))).startsWith("option config.a?b: the key 'a?b' must be");
        assertThat(refusal(Map.of("config." + "k".repeat(254), "v"))).contains(": the key is 254 characters long, at most 253")
                .startsWith("option config.kkk").hasSizeLessThan(200);
        assertThat(refusal(Map.of("config.big", "x".repeat(2 << 20)))).startsWith("option config.big: the config data come to"
                + " more than 1048576 bytes");
        // the total counts: two halves that fit alone do not fit together, and the same option is named every time
        String half = "x".repeat(PodOptions.MAX_CONFIG_BYTES / 2);
        assertThat(refusal(Map.of("config.a", half, "config.b", half))).startsWith("option config.b: the config data");
    }
}
