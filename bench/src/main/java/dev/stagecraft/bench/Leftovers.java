package dev.stagecraft.bench;

import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.EnvironmentInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a benchmark's server left behind: a second Stagecraft over the same configuration (the same owner and state
 * folder) reconciles every installed provider from scratch, so it finds, by their labels, the environments that
 * still exist in any backend, also those the server itself lost track of. The configuration must have no warm pool
 * (the second Stagecraft would fill it).
 *
 * @param left       one line per environment still there
 * @param unreadable the backends that could not be asked, one line each (an unavailable provider)
 */
record Leftovers(List<String> left, List<String> unreadable) {
    static Leftovers of(Stagecraft serving) {
        List<String> left = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        try (Stagecraft fresh = Stagecraft.builder().config(serving.config()).environment(Map.of()).background(false)
                .reconcileAtStart(true).build()) {
            for (String problem : fresh.manager().reconcileProblems()) {
                unreadable.add(problem);
            }
            for (EnvironmentInfo info : fresh.manager().list(Optional.empty(), Map.of())) {
                left.add(info.kind() + " " + info.id() + " " + info.status() + " labels " + info.labels());
            }
        }
        for (EnvironmentInfo info : serving.manager().list(Optional.empty(), Map.of())) {
            left.add("still known to the server: " + info.kind() + " " + info.id());
        }
        return new Leftovers(left, unreadable);
    }

    /** The report line. */
    String line() {
        return "  environments left in any provider: " + left.size() + (left.isEmpty() ? "" : " " + left)
                + (unreadable.isEmpty() ? "" : " (not asked: " + String.join("; ", unreadable) + ")");
    }
}
