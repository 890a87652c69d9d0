package dev.stagecraft.bench;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles of latency samples in milliseconds, and the report line that shows them. */
final class Percentiles {
    private Percentiles() {
    }

    /** The {@code q} quantile (0..1) of {@code ms}, nearest rank. */
    static double of(double[] ms, double q) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
    }

    /** {@code what} with p50 and p99, and their ratios to {@code bare} when it is given. */
    static String line(String what, double[] ms, double[] bare) {
        double p50 = of(ms, 0.50);
        double p99 = of(ms, 0.99);
        String ratio = bare == null ? "" : String.format(Locale.ROOT, "  (%.2fx / %.2fx bare)",
                p50 / of(bare, 0.50), p99 / of(bare, 0.99));
        return String.format(Locale.ROOT, "  %-56s p50 %7.2f ms  p99 %7.2f ms%s", what, p50, p99, ratio);
    }
}
