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
        Optional<String> forced = requirement.provider();
        if (forced.isPresent() && candidates.stream().noneMatch(c -> c.kind().equals(forced.get()))) {
            return "provider '" + forced.get() + "' is not installed (installed: "
                    + candidates.stream().map(CandidateReport::kind).sorted().collect(Collectors.joining(", ")) + ")";
        }
        return "no environment kind can serve this requirement (security " + level + "): "
                + candidates.stream().map(CandidateReport::describe).collect(Collectors.joining("; "));
    }

    /**
     * Multi-line explanation for people: the choice, then each candidate with its score per scorer, or the
     * stage that dropped it and why.
     */
    public String explain() {
        StringBuilder out = new StringBuilder();
        out.append(chosenKind.map(k -> "selected: " + k + " (isolation "
                + chosenIsolation.map(IsolationLevel::label).orElse("?") + ")").orElse("selected: nothing")).append('\n');
        out.append("  requirement: security ").append(requirement.securityLevel().label())
                .append(requirement.isolation().map(i -> ", isolation " + i.label()).orElse(""))
                .append(", tool type ").append(requirement.toolType())
                .append(", expected ").append(requirement.expectedDuration().toMillis() / 1000.0).append("s")
                .append(requirement.network() ? ", network" : "")
                .append(requirement.persistentStorage() ? ", persistent storage" : "")
                .append(requirement.gpu() ? ", " + requirement.resources().gpus() + " gpu(s)" : "")
                .append(requirement.provider().map(p -> ", provider " + p).orElse("")).append('\n');
        if (requirement.network()) {
            out.append("  network: ").append(requirement.egress().describe()).append('\n');
        }
        for (CandidateReport report : candidates) {
            if (!report.kept()) {
                out.append(String.format("  - %-10s dropped by %s: %s%n", report.kind(), report.droppedBy().get(), report.reason()));
                continue;
            }
            out.append(String.format("  + %-10s total %s, isolation %s%s%n", report.kind(), StartupScorer.trim(report.total()),
                    report.isolation().map(IsolationLevel::label).orElse("?"),
                    report.reason().isEmpty() ? "" : " (" + report.reason() + ")"));
            report.scores().forEach((name, score) -> out.append(String.format("      %-11s %7s  %s%n", name,
                    (score.points() > 0 ? "+" : "") + StartupScorer.trim(score.points()), score.reason())));
        }
        return out.toString();
    }
}
