package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.StagecraftException;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The pipeline's decision, with every candidate's report in ranked order (kept first, best first). */
public record Selection(EnvironmentRequirement requirement, Optional<String> chosenKind,
                        Optional<IsolationLevel> chosenIsolation, List<CandidateReport> candidates) {
    public Selection {
        candidates = List.copyOf(candidates);
    }

    /** The chosen kind, or a NO_PROVIDER error that lists why each candidate was dropped. */
    public String requireChoice() {
        return chosenKind.orElseThrow(() -> new StagecraftException(ErrorCode.NO_PROVIDER, noProviderMessage()));
    }

    public String noProviderMessage() {
        String level = requirement.securityLevel().label();
        if (candidates.isEmpty()) {
            return "no environment provider is installed (put a plugin in plugins/ or a provider on the class path)";
        }
        return "no environment kind can serve this requirement (security " + level + "): "
                + candidates.stream().map(CandidateReport::describe).collect(Collectors.joining("; "));
    }

    /** Multi-line explanation for people: the choice, then each candidate. */
    public String explain() {
        StringBuilder out = new StringBuilder();
        out.append(chosenKind.map(k -> "selected: " + k + " (isolation " + chosenIsolation.map(IsolationLevel::label).orElse("?") + ")")
                .orElse("selected: nothing")).append('\n');
        for (CandidateReport report : candidates) {
            out.append("  ").append(report.kept() ? "+ " : "- ").append(report.describe()).append('\n');
        }
        return out.toString();
    }
}
