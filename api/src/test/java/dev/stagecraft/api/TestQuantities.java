package dev.stagecraft.api;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TestQuantities {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
            "0, 0",
            "123, 123",
            "64k, 65536",
            "512m, 536870912",
            "512M, 536870912",
            "512mb, 536870912",
            "512MiB, 536870912",
            "2g, 2147483648",
            "1t, 1099511627776",
            "1.5k, 1536",
            "' 2g ', 2147483648",
    })
    void parsesSizes(String text, long expected) {
        assertThat(Quantities.parseBytes("memory", text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "size ''{0}'' is refused")
    @ValueSource(strings = {"", "   ", "12x", "m", "-1", "-5m", "1e3", "1.2.3g", "two", "1g2", "99999999999t", "0x10"})
    void refusesBadSizesNamingWhatAndText(String text) {
        StagecraftException e = catchThrowableOfType(StagecraftException.class,
                () -> Quantities.parseBytes("providers.sandbox.memory", text));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
        assertThat(e.getMessage())
                .startsWith("providers.sandbox.memory: '" + text + "' is not a size")
                .contains("512m");
    }

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({
            "250ms, 250",
            "30s, 30000",
            "1.5s, 1500",
            "5m, 300000",
            "2h, 7200000",
            "1d, 86400000",
            "45, 45000",
            "0.1, 100",
            "30S, 30000",
            "' 10s ', 10000",
            "0s, 0",
    })
    void parsesDurations(String text, long expectedMillis) {
        assertThat(Quantities.parseDuration("ttl", text)).isEqualTo(Duration.ofMillis(expectedMillis));
    }

    @ParameterizedTest(name = "duration ''{0}'' is refused")
    @ValueSource(strings = {"", "s", "ms", "-1s", "10x", "1.5.1s", "ten seconds", "PT30S", "10 s", "1w"})
    void refusesBadDurationsNamingWhatAndText(String text) {
        assertThatThrownBy(() -> Quantities.parseDuration("environments.default-ttl", text))
                .isInstanceOfSatisfying(StagecraftException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUIREMENT);
                    assertThat(e.getMessage()).startsWith("environments.default-ttl: '" + text + "' is not a duration")
                            .contains("30s");
                });
    }

    @ParameterizedTest(name = "{0} bytes render as {1}")
    @CsvSource({"0, 0", "1000, 1000", "1024, 1k", "536870912, 512m", "2147483648, 2g", "1099511627776, 1t", "1536, 1536"})
    void formatsBytesWithTheLargestExactUnit(long bytes, String expected) {
        assertThat(Quantities.formatBytes(bytes)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"512m", "2g", "64k", "7"})
    void formattingRoundTrips(String text) {
        assertThat(Quantities.formatBytes(Quantities.parseBytes("x", text))).isEqualTo(text);
    }
}
