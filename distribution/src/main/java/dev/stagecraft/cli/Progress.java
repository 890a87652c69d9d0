package dev.stagecraft.cli;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.selection.Selection;

import java.time.Duration;

/**
 * A progress line on stderr when the chosen kind's start-up estimate is over {@link #ANNOUNCE_OVER} (a VM). A container
 * (2 s in the selection's table, a few hundred milliseconds measured) starts without one; pulling an image has its own.
 */
final class Progress {
    static final Duration ANNOUNCE_OVER = Duration.ofSeconds(2);

    private Progress() {
    }

    static void creating(Cli cli, Stagecraft stagecraft, EnvironmentRequirement requirement, boolean json) {
        creating(cli, stagecraft, stagecraft.select(requirement), json);
    }

    static void creating(Cli cli, Stagecraft stagecraft, Selection selection, boolean json) {
        if (json || selection.chosenKind().isEmpty()) {
            return;
        }
        String kind = selection.chosenKind().get();
        stagecraft.capabilities(kind)
                .filter(c -> c.startupEstimate().compareTo(ANNOUNCE_OVER) > 0)
                .ifPresent(c -> cli.err.println("stagecraft: creating a " + kind + " environment (usually about "
                        + c.startupEstimate().toSeconds() + "s)..."));
    }
}
