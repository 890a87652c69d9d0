package dev.stagecraft.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.stagecraft.api.EnvironmentStatus.CREATING;
import static dev.stagecraft.api.EnvironmentStatus.ERROR;
import static dev.stagecraft.api.EnvironmentStatus.READY;
import static dev.stagecraft.api.EnvironmentStatus.RUNNING;
import static dev.stagecraft.api.EnvironmentStatus.STOPPED;
import static dev.stagecraft.api.EnvironmentStatus.STOPPING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestEnvironmentStatus {
    /** The transition table of the status's documentation, written out independently. */
    private static final Map<EnvironmentStatus, Set<EnvironmentStatus>> LEGAL = Map.of(
            CREATING, EnumSet.of(READY, ERROR),
            READY, EnumSet.of(RUNNING, STOPPING, ERROR),
            RUNNING, EnumSet.of(READY, STOPPING, ERROR),
            STOPPING, EnumSet.of(STOPPED, ERROR),
            STOPPED, EnumSet.of(READY, STOPPING, ERROR),
            ERROR, EnumSet.of(STOPPING));

    static Stream<Arguments> everyPair() {
        List<Arguments> pairs = new ArrayList<>();
        for (EnvironmentStatus from : EnvironmentStatus.values()) {
            for (EnvironmentStatus to : EnvironmentStatus.values()) {
                pairs.add(Arguments.of(from, to, LEGAL.get(from).contains(to)));
            }
        }
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}: legal={2}")
    @MethodSource("everyPair")
    void transitionTable(EnvironmentStatus from, EnvironmentStatus to, boolean legal) {
        assertThat(from.canTransitionTo(to)).isEqualTo(legal);
        assertThat(from.next().contains(to)).isEqualTo(legal);
        if (legal) {
            assertThatCode(() -> EnvironmentStatus.checkTransition("sc-1", from, to)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> EnvironmentStatus.checkTransition("sc-1", from, to))
                    .isInstanceOfSatisfying(StagecraftException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
                        assertThat(e.getMessage()).isEqualTo("environment 'sc-1' cannot go from " + from + " to " + to);
                    });
        }
    }

    @Test
    void noStatusTransitionsToItselfOrBackToCreating() {
        for (EnvironmentStatus status : EnvironmentStatus.values()) {
            assertThat(status.canTransitionTo(status)).as(status + " -> itself").isFalse();
            assertThat(status.canTransitionTo(CREATING)).as(status + " -> CREATING").isFalse();
        }
    }

    @Test
    void destroyPathExistsFromEveryStatusExceptCreating() {
        for (EnvironmentStatus status : EnumSet.complementOf(EnumSet.of(CREATING, STOPPING))) {
            assertThat(status.canTransitionTo(STOPPING)).as(status + " can be stopped").isTrue();
        }
        assertThat(STOPPING.canTransitionTo(STOPPED)).isTrue();
    }

    @Test
    void onlyReadyAndRunningAcceptExec() {
        assertThat(EnumSet.allOf(EnvironmentStatus.class).stream().filter(EnvironmentStatus::acceptsExec))
                .containsExactlyInAnyOrder(READY, RUNNING);
    }

    @Test
    void nextIsADefensiveCopy() {
        Set<EnvironmentStatus> next = READY.next();
        next.clear();
        assertThat(READY.next()).containsExactlyInAnyOrder(RUNNING, STOPPING, ERROR);
    }
}
