package dev.stagecraft.core.selection;

import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.selection.SelectionScorer.Score;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One candidate's fate: dropped by a stage (with the stage's name and reason), or kept with its score per
 * scorer and the isolation class it would give.
 */
public record CandidateReport(String kind, Optional<String> droppedBy, String reason, Map<String, Score> scores,
                             double total, Optional<IsolationLevel> isolation) {
    public CandidateReport {
        scores = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scores));
    }

    public static CandidateReport dropped(String kind, String stage, String reason) {
        return new CandidateReport(kind, Optional.of(stage), reason, Map.of(), 0, Optional.empty());
    }

    CandidateReport withReason(String value) {
        return new CandidateReport(kind, droppedBy, value, scores, total, isolation);
    }

    public boolean kept() {
        return droppedBy.isEmpty();
    }

    /** {@code sandbox: dropped by security: offers ...} or {@code sandbox: 23.0 (startup 17.0, efficiency 6.0)}. */
    public String describe() {
        if (!kept()) {
            return kind + ": dropped by " + droppedBy.get() + ": " + reason;
        }
        StringBuilder out = new StringBuilder(kind + ": score " + StartupScorer.trim(total) + " (");
        String sep = "";
        for (Map.Entry<String, Score> e : scores.entrySet()) {
            out.append(sep).append(e.getKey()).append(' ').append(StartupScorer.trim(e.getValue().points()))
                    .append(": ").append(e.getValue().reason());
            sep = "; ";
        }
        return out.append(')').toString();
    }
}
