package dev.stagecraft.core.selection;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.selection.SelectionScorer;

import java.time.Duration;

/**
 * Start-up cost: {@code (base - startupSeconds) × weight}, where the weight is {@code short-job-weight}
 * (default 2) for jobs expected to run under {@code short-job-threshold} (default 60s), else 1.
 * The startup estimate is the provider's own unless {@code selection.startup.estimates.<kind>} overrides it.
 */
public final class StartupScorer implements SelectionScorer {
    private double base = 10;
    private double shortJobWeight = 2;
    private Duration shortJobThreshold = Duration.ofSeconds(60);
    private PerKindNumbers estimates = PerKindNumbers.numbers(Settings.empty(""));

    @Override
    public String name() {
        return "startup";
    }

    @Override
    public void configure(Settings settings) {
        base = settings.number("base", base);
        shortJobWeight = settings.number("short-job-weight", shortJobWeight);
        shortJobThreshold = settings.duration("short-job-threshold", shortJobThreshold);
        estimates = PerKindNumbers.seconds(settings.section("estimates"));
    }

    @Override
    public Score score(EnvironmentRequirement requirement, ProviderCapabilities candidate) {
        double startup = estimates.get(candidate.kind(), candidate.startupEstimate().toMillis() / 1000.0);
        boolean shortJob = requirement.expectedDuration().compareTo(shortJobThreshold) < 0;
        double weight = shortJob ? shortJobWeight : 1;
        double points = (base - startup) * weight;
        return new Score(points, String.format(java.util.Locale.ROOT, "startup %ss%s: (%s - %s) x %s",
                trim(startup), shortJob ? ", job under " + shortJobThreshold.toSeconds() + "s" : "",
                trim(base), trim(startup), trim(weight)));
    }

    /** A score as people read it: whole numbers bare, others to two decimals at most (14.38, not 14.379999999999999). */
    static String trim(double value) {
        double rounded = Math.round(value * 100) / 100.0;
        return rounded == Math.rint(rounded) ? Long.toString((long) rounded)
                : java.math.BigDecimal.valueOf(rounded).stripTrailingZeros().toPlainString();
    }
}
