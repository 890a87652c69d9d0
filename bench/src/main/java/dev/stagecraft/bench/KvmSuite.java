package dev.stagecraft.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The kvm provider against {@code virsh create} + {@code guest-ping} polling with the same domain XML, and warm
 * acquire from a manager's pool. A boot takes seconds (far more under TCG), so every benchmark runs one shot per
 * iteration: {@code iterations} measured shots after one warm-up shot ({@code seconds} and {@code threads} do not
 * apply). Baseline and provider are measured in the same run, one benchmark after the other.
 */
final class KvmSuite extends BenchSuite {
    KvmSuite(int iterations, int seconds, int threads) {
        super(iterations, seconds, threads);
    }

    @Override
    List<String> run() throws RunnerException {
        Map<String, Double> median = singleShotMedians(KvmBenchmarks.class.getName() + "\\.");
        double virshBoot = median.get("virshBootToReady");
        double virshCycle = median.get("virshAcquireExecDestroy");

        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "== Stagecraft kvm, one VM per shot (median of %d shots, same run) ==", iterations));
        median.forEach((name, ms) -> lines.add(String.format(Locale.ROOT, "  %-26s %10.2f ms", name, ms)));
        lines.add(String.format(Locale.ROOT, "  ratio cold boot-to-ready / virsh create + guest-ping: %.3fx (target <= 1.0x)",
                median.get("kvmBootToReady") / virshBoot));
        lines.add(String.format(Locale.ROOT, "  ratio restore-to-ready from a boot snapshot / virsh create + guest-ping: %.3fx",
                median.get("kvmRestoreToReady") / virshBoot));
        lines.add(String.format(Locale.ROOT, "  ratio restore-to-ready / virsh restore of the same save file + guest-ping: %.3fx",
                median.get("kvmRestoreToReady") / median.get("virshRestoreToReady")));
        lines.add(String.format(Locale.ROOT, "  ratio acquire+exec+destroy / virsh create + ping + guest-exec + destroy: %.3fx (target <= 1.0x)",
                median.get("kvmAcquireExecDestroy") / virshCycle));
        lines.add(String.format(Locale.ROOT, "  warm acquire from a pool (manager): %.3f ms (target < 10 ms at the median)",
                median.get("warmAcquire")));
        lines.add(String.format(Locale.ROOT, "  warm acquire + python3 -c 'print(1)' to its result: %.1f ms (goal <= 150 ms at the median)",
                median.get("warmAcquireExecPython")));
        lines.add(String.format(Locale.ROOT, "  ratio provider exec / the agent's own guest-exec of python3 in the same VM: %.3fx",
                median.get("providerExecPython") / median.get("bareAgentExecPython")));
        try {
            lines.addAll(KvmBootPhases.measure(iterations));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** Median in milliseconds of each matching benchmark, one invocation per iteration. */
    private Map<String, Double> singleShotMedians(String includeRegex) throws RunnerException {
        Map<String, Double> median = new LinkedHashMap<>();
        for (RunResult result : new Runner(new OptionsBuilder().include(includeRegex).forks(1)
                .warmupIterations(1).measurementIterations(iterations).mode(Mode.SingleShotTime)
                .timeUnit(TimeUnit.MILLISECONDS).threads(1).shouldFailOnError(true).build()).run()) {
            String name = result.getParams().getBenchmark().replaceAll(".*\\.", "");
            double[] shots = result.getBenchmarkResults().stream()
                    .flatMap(b -> b.getIterationResults().stream())
                    .mapToDouble(i -> i.getPrimaryResult().getScore()).sorted().toArray();
            median.put(name, shots.length == 0 ? Double.NaN : medianOf(shots));
        }
        return median;
    }

    private static double medianOf(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
