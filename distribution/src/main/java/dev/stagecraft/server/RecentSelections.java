package dev.stagecraft.server;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.core.selection.Selection;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The last {@link #CAPACITY} selections the server made for tenants (a run, a create, a select or an MCP tool), with
 * their explanations, for the status page: a bounded ring in memory, empty again after a restart. Pool refills are
 * not kept: no tenant asked for them.
 */
final class RecentSelections {
    static final int CAPACITY = 20;

    /**
     * One decision.
     *
     * @param purpose     {@code run}, {@code create} or {@code select}
     * @param requirement the requirement in one line, e.g. {@code security medium, tool python, memory 256m}
     * @param chosen      the kind chosen; empty when nothing fits
     */
    record Entry(Instant at, String tenant, String purpose, String requirement, Optional<String> chosen,
                 String explanation) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();
    private final Clock clock;

    RecentSelections(Clock clock) {
        this.clock = clock;
    }

    synchronized void add(String tenant, String purpose, Selection selection) {
        if (entries.size() == CAPACITY) {
            entries.removeLast();
        }
        entries.addFirst(new Entry(clock.instant(), tenant, purpose, summary(selection.requirement()),
                selection.chosenKind(), selection.explain()));
    }

    /** The kept decisions, newest first. */
    synchronized List<Entry> newestFirst() {
        return List.copyOf(entries);
    }

    static String summary(EnvironmentRequirement requirement) {
        List<String> parts = new ArrayList<>();
        parts.add("security " + requirement.securityLevel().label());
        requirement.isolation().ifPresent(isolation -> parts.add("isolation " + isolation.label()));
        parts.add("tool " + requirement.toolType());
        if (requirement.resources().cpus() > 0) {
            parts.add("cpus " + requirement.resources().cpus());
        }
        if (requirement.resources().memoryBytes() > 0) {
            parts.add("memory " + Quantities.formatBytes(requirement.resources().memoryBytes()));
        }
        if (requirement.resources().gpus() > 0) {
            parts.add("gpus " + requirement.resources().gpus());
        }
        if (requirement.network()) {
            parts.add("network");
        }
        if (requirement.persistentStorage()) {
            parts.add("persistent");
        }
        requirement.provider().ifPresent(provider -> parts.add("provider " + provider));
        if (!requirement.ttl().isZero()) {
            parts.add("ttl " + StatusPage.duration(requirement.ttl()));
        }
        requirement.labels().forEach((key, value) -> parts.add("label " + key + "=" + value));
        return String.join(", ", parts);
    }
}
