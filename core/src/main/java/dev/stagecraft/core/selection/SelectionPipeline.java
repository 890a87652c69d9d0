package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionFilter;
import dev.stagecraft.api.selection.SelectionScorer;
import dev.stagecraft.api.selection.SelectionScorer.Score;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Requirement → candidates → filters (in order) → scorers (summed) → ranked choice. A forced kind
 * ({@code --provider}) still passes every filter: forcing never weakens security. Ties go to the kind
 * whose name sorts first, so a decision is repeatable.
 */
public final class SelectionPipeline {
    private final List<SelectionFilter> filters;
    private final List<SelectionScorer> scorers;
    private final SecurityLevelFilter security;

    public SelectionPipeline(List<SelectionFilter> filters, List<SelectionScorer> scorers) {
        List<SelectionFilter> sorted = new ArrayList<>(filters);
        sorted.sort(Comparator.comparingInt(SelectionFilter::order).thenComparing(SelectionFilter::name));
        this.filters = List.copyOf(sorted);
        this.scorers = List.copyOf(scorers);
        this.security = (SecurityLevelFilter) sorted.stream().filter(f -> f instanceof SecurityLevelFilter)
                .findFirst().orElseGet(SecurityLevelFilter::new);
    }

    /** The default stages, configured from the {@code selection} section. */
    public static SelectionPipeline defaults(Settings selection) {
        return configured(List.of(new SecurityLevelFilter(), new FeatureFilter(), new ResourceCeilingFilter()),
                List.of(new StartupScorer(), new EfficiencyScorer(), new CostScorer(), new ToolTypeScorer()), selection);
    }

    /** Configures each stage from {@code selection.<name>} and drops those with {@code enabled: false}. */
    public static SelectionPipeline configured(List<SelectionFilter> filters, List<SelectionScorer> scorers,
                                               Settings selection) {
        List<SelectionFilter> activeFilters = new ArrayList<>();
        for (SelectionFilter filter : filters) {
            Settings section = selection.section(filter.name());
            if (filter instanceof SecurityLevelFilter && !section.bool("enabled", true)) {
                throw section.invalid("enabled", "the security stage cannot be turned off: it is what keeps a level's "
                        + "code out of weaker isolation (change security.minimum-isolation instead)");
            }
            if (section.bool("enabled", true)) {
                filter.configure(section);
                activeFilters.add(filter);
            }
        }
        List<SelectionScorer> activeScorers = new ArrayList<>();
        for (SelectionScorer scorer : scorers) {
            Settings section = selection.section(scorer.name());
            if (section.bool("enabled", true)) {
                scorer.configure(section);
                activeScorers.add(scorer);
            }
        }
        return new SelectionPipeline(activeFilters, activeScorers);
    }

    public List<String> filterNames() {
        return filters.stream().map(SelectionFilter::name).toList();
    }

    public List<String> scorerNames() {
        return scorers.stream().map(SelectionScorer::name).toList();
    }

    /**
     * Filters and scores every candidate on its capabilities alone, then probes the kept ones best first until
     * one is healthy: that one is chosen. An unhealthy one is dropped by "health"; those ranked below the choice
     * are reported as kept but not probed.
     */
    public Selection select(EnvironmentRequirement requirement, List<Candidate> candidates) {
        List<CandidateReport> kept = new ArrayList<>();
        List<CandidateReport> dropped = new ArrayList<>();
        Map<String, Candidate> byKind = new LinkedHashMap<>();
        IsolationLevel needed = security.requiredIsolation(requirement);
        for (Candidate candidate : candidates) {
            byKind.put(candidate.kind(), candidate);
            CandidateReport report = evaluate(requirement, candidate, needed);
            (report.kept() ? kept : dropped).add(report);
        }
        kept.sort(Comparator.comparingDouble(CandidateReport::total).reversed().thenComparing(CandidateReport::kind));
        List<CandidateReport> ranked = new ArrayList<>();
        Optional<CandidateReport> chosen = Optional.empty();
        for (CandidateReport report : kept) {
            if (chosen.isPresent()) {
                ranked.add(report.withReason("not probed: " + chosen.get().kind() + " ranks higher"));
                continue;
            }
            ProviderHealth health = byKind.get(report.kind()).health();
            if (health.available()) {
                chosen = Optional.of(report);
                ranked.add(report);
            } else {
                dropped.add(CandidateReport.dropped(report.kind(), "health", "unavailable: " + health.reason()));
            }
        }
        dropped.sort(Comparator.comparing(CandidateReport::kind));
        List<CandidateReport> all = new ArrayList<>(ranked);
        all.addAll(dropped);
        return new Selection(requirement, chosen.map(CandidateReport::kind), chosen.flatMap(CandidateReport::isolation), all);
    }

    private CandidateReport evaluate(EnvironmentRequirement requirement, Candidate candidate, IsolationLevel needed) {
        String kind = candidate.kind();
        Optional<String> forced = requirement.provider();
        if (forced.isPresent() && !forced.get().equals(kind)) {
            return CandidateReport.dropped(kind, "provider", "not the requested provider '" + forced.get() + "'");
        }
        for (SelectionFilter filter : filters) {
            Optional<String> reason = filter.reject(requirement, candidate.capabilities());
            if (reason.isPresent()) {
                return CandidateReport.dropped(kind, filter.name(), reason.get());
            }
        }
        Map<String, Score> scores = new LinkedHashMap<>();
        double total = 0;
        for (SelectionScorer scorer : scorers) {
            Score score = scorer.score(requirement, candidate.capabilities());
            scores.put(scorer.name(), score);
            total += score.points();
        }
        IsolationLevel isolation = candidate.capabilities().weakestAtLeast(needed).orElse(candidate.capabilities().strongest());
        return new CandidateReport(kind, Optional.empty(), forced.isPresent() ? "requested with --provider" : "",
                scores, total, Optional.of(isolation));
    }
}
