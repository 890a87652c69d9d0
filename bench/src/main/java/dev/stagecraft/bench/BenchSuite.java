package dev.stagecraft.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One provider's benchmarks: runs its JMH classes and prints medians and ratios from the same run. */
abstract class BenchSuite {
    final int iterations;
    final int seconds;
    final int threads;

    BenchSuite(int iterations, int seconds, int threads) {
        this.iterations = iterations;
        this.seconds = seconds;
        this.threads = threads;
    }

    /** Runs the suite and returns the report lines. */
    abstract List<String> run() throws RunnerException;

    ChainedOptionsBuilder options() {
        return new OptionsBuilder().forks(1).warmupIterations(2).warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations).measurementTime(TimeValue.seconds(seconds)).shouldFailOnError(true);
    }

    /** Median in milliseconds of every benchmark method matching {@code includeRegex}, keyed by method name. */
    Map<String, Double> medians(String includeRegex) throws RunnerException {
        return medians(options(), includeRegex);
    }

    Map<String, Double> medians(ChainedOptionsBuilder options, String includeRegex) throws RunnerException {
        Map<String, Double> median = new LinkedHashMap<>();
        for (RunResult result : new Runner(options.include(includeRegex)
                .mode(Mode.SampleTime).timeUnit(TimeUnit.MILLISECONDS).threads(1).build()).run()) {
            String name = result.getParams().getBenchmark().replaceAll(".*\\.", "");
            median.put(name, result.getPrimaryResult().getStatistics().getPercentile(50));
        }
        return median;
    }

    /** Operations per second of one benchmark method with {@link #threads} threads. */
    double throughput(String includeRegex) throws RunnerException {
        return new Runner(options().include(includeRegex).mode(Mode.Throughput).timeUnit(TimeUnit.SECONDS)
                .threads(threads).build()).run().iterator().next().getPrimaryResult().getScore();
    }
}
