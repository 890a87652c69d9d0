package dev.stagecraft.cli;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.selection.Selection;

import java.time.Duration;

/** A progress line on stderr when the chosen kind takes seconds to start (a VM, a container image). */
final class Progress {
    static final Duration ANNOUNCE_FROM = Duration.ofSeconds(2);

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
                .filter(c -> c.startupEstimate().compareTo(ANNOUNCE_FROM) >= 0)
                .ifPresent(c -> cli.err.println("stagecraft: creating a " + kind + " environment (usually about "
                        + c.startupEstimate().toSeconds() + "s)..."));
    }
}
