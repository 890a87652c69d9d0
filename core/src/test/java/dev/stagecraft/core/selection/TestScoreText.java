package dev.stagecraft.core.selection;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Scores in explanations read as people write them. */
class TestScoreText {
    @Test
    void wholeNumbersBareOthersToTwoDecimals() {
        assertThat(StartupScorer.trim(16)).isEqualTo("16");
        assertThat(StartupScorer.trim(-40)).isEqualTo("-40");
        assertThat(StartupScorer.trim(14.379999999999999)).isEqualTo("14.38");
        assertThat(StartupScorer.trim(2.5)).isEqualTo("2.5");
        assertThat(StartupScorer.trim(0.004)).isEqualTo("0");
        assertThat(StartupScorer.trim(-0.125)).isEqualTo("-0.12");
    }
}
