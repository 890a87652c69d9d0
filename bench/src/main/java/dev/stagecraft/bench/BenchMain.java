package dev.stagecraft.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the sandbox benchmarks in one JVM session and prints medians and ratios against the bare tools
 * measured in the same run, then the throughput of complete sandboxed runs with concurrency.
 * Arguments: {@code [iterations] [seconds-per-iteration] [threads]} (default 5 2 4).
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;

        Collection<RunResult> latency = new Runner(base(iterations, seconds)
                .include(SandboxBenchmarks.class.getName() + "\\.")
                .mode(Mode.SampleTime).timeUnit(TimeUnit.MILLISECONDS).threads(1).build()).run();
        Map<String, Double> median = new LinkedHashMap<>();
        for (RunResult result : latency) {
            String name = result.getParams().getBenchmark().replaceAll(".*\\.", "");
            median.put(name, result.getPrimaryResult().getStatistics().getPercentile(50));
        }

        Collection<RunResult> manager = new Runner(base(iterations, seconds)
                .include(ManagerBenchmarks.class.getName() + "\\.")
                .mode(Mode.SampleTime).timeUnit(TimeUnit.MILLISECONDS).threads(1).build()).run();
        for (RunResult result : manager) {
            String name = result.getParams().getBenchmark().replaceAll(".*\\.", "");
            median.put("manager." + name, result.getPrimaryResult().getStatistics().getPercentile(50));
        }

        Collection<RunResult> throughput = new Runner(base(iterations, seconds)
                .include(SandboxBenchmarks.class.getName() + "\\.sandboxCreateExecDestroy")
                .mode(Mode.Throughput).timeUnit(TimeUnit.SECONDS).threads(threads).build()).run();
        double runsPerSecond = throughput.iterator().next().getPrimaryResult().getScore();

        System.out.println();
        System.out.println("== Stagecraft sandbox, per exec of /bin/true (median, same run) ==");
        median.forEach((name, ms) -> System.out.printf(Locale.ROOT, "  %-26s %8.2f ms%n", name, ms));
        double bwrap = median.get("bareBwrap");
        System.out.printf(Locale.ROOT, "  ratio create+exec+destroy / bare bwrap: %.2fx (target <= 1.5x)%n",
                median.get("sandboxCreateExecDestroy") / bwrap);
        System.out.printf(Locale.ROOT, "  ratio exec in a live environment / bare bwrap: %.2fx%n", median.get("sandboxExec") / bwrap);
        System.out.printf(Locale.ROOT, "  ratio bare bwrap / fork-exec: %.2fx%n", bwrap / median.get("forkExec"));
        System.out.printf(Locale.ROOT, "  warm acquire from a pool (manager): %.3f ms; cold acquire (select + create): %.2f ms%n",
                median.get("manager.warmAcquire"), median.get("manager.coldAcquire"));
        System.out.printf(Locale.ROOT, "  complete sandboxed runs per second, %d threads, %d cores: %.1f (target >= 100)%n",
                threads, Runtime.getRuntime().availableProcessors(), runsPerSecond);
    }

    private static ChainedOptionsBuilder base(int iterations, int seconds) {
        return new OptionsBuilder().forks(1).warmupIterations(2).warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations).measurementTime(TimeValue.seconds(seconds)).shouldFailOnError(true);
    }
}
