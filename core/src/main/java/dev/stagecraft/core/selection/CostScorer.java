package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionScorer;

/**
 * Cost: {@code -costPerHour × hours × weight}, hours being the expected duration (at least one minute's
 * worth). The provider's own cost unless {@code selection.cost.per-hour.<kind>} overrides it.
 */
public final class CostScorer implements SelectionScorer {
    private double weight = 1;
    private PerKindNumbers perHour = PerKindNumbers.numbers(Settings.empty(""));

    @Override
    public String name() {
        return "cost";
    }

    @Override
    public void configure(Settings settings) {
        weight = settings.number("weight", weight);
        perHour = PerKindNumbers.numbers(settings.section("per-hour"));
    }

    @Override
    public Score score(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        double cost = perHour.get(candidate.kind(), candidate.costPerHour());
        double hours = Math.max(60, requirement.expectedDuration().toSeconds()) / 3600.0;
        double points = -cost * hours * weight;
        return new Score(points == 0 ? 0 : points, cost == 0 ? "free on this host"
                : String.format(java.util.Locale.ROOT, "%.4f per hour over %.3fh", cost, hours));
    }
}
