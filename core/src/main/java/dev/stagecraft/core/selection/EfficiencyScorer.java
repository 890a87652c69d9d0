package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionScorer;

/**
 * Execution efficiency (0-10, how close to native speed work runs) × {@code weight} (default 1). The
 * provider's own number unless {@code selection.efficiency.values.<kind>} overrides it.
 */
public final class EfficiencyScorer implements SelectionScorer {
    private double weight = 1;
    private PerKindNumbers values = PerKindNumbers.numbers(Settings.empty(""));

    @Override
    public String name() {
        return "efficiency";
    }

    @Override
    public void configure(Settings settings) {
        weight = settings.number("weight", weight);
        values = PerKindNumbers.numbers(settings.section("values"));
    }

    @Override
    public Score score(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        double efficiency = values.get(candidate.kind(), candidate.executionEfficiency());
        return new Score(efficiency * weight, "efficiency " + StartupScorer.trim(efficiency)
                + (weight == 1 ? "" : " x " + StartupScorer.trim(weight)));
    }
}
