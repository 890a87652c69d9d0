package dev.stagecraft.server;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.core.selection.Selection;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The status page's ring of recent selections: bounded, newest first, each requirement in one line. */
class TestRecentSelections {
    private static Selection chose(String kind, EnvironmentRequirement requirement) {
        return new Selection(requirement, Optional.ofNullable(kind),
                Optional.ofNullable(kind).map(k -> IsolationLevel.PROCESS), List.of());
    }

    @Test
    void keepsOnlyTheNewestTwentyNewestFirst() {
        RecentSelections recent = new RecentSelections(Clock.fixed(Instant.parse("2026-12-05T08:00:00Z"), ZoneOffset.UTC));
        for (int i = 0; i < RecentSelections.CAPACITY + 5; i++) {
            recent.add("tenant-" + i, "run", chose("sandbox", EnvironmentRequirement.builder().toolType("t" + i).build()));
        }
        List<RecentSelections.Entry> kept = recent.newestFirst();
        assertThat(kept).hasSize(RecentSelections.CAPACITY);
        assertThat(kept.get(0).tenant()).isEqualTo("tenant-24");
        assertThat(kept.get(RecentSelections.CAPACITY - 1).tenant()).isEqualTo("tenant-5");
        assertThat(kept.get(0).explanation()).startsWith("selected: sandbox (isolation process)");
    }

    @Test
    void aRequirementIsOneLineAndNothingChosenIsEmpty() {
        RecentSelections recent = new RecentSelections(Clock.systemUTC());
        EnvironmentRequirement requirement = EnvironmentRequirement.builder().toolType("python")
                .securityLevel(SecurityLevel.HIGH).cpus(2).memoryBytes(512L << 20).gpus(1).network(true)
                .ttl(Duration.ofMinutes(10)).label("job", "<42>").build();
        recent.add("acme", "create", chose(null, requirement));
        RecentSelections.Entry entry = recent.newestFirst().get(0);
        assertThat(entry.requirement()).isEqualTo("security high, tool python, cpus 2.0, memory 512m, gpus 1, network, "
                + "ttl 10m 00s, label job=<42>");
        assertThat(entry.chosen()).isEmpty();
        assertThat(entry.explanation()).startsWith("selected: nothing");
    }
}
