package dev.stagecraft.bench;

import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The sandbox provider against bare bubblewrap and fork/exec, plus warm and cold acquire through the manager. */
final class SandboxSuite extends BenchSuite {
    SandboxSuite(int iterations, int seconds, int threads) {
        super(iterations, seconds, threads);
    }

    @Override
    List<String> run() throws RunnerException {
        Map<String, Double> median = medians(SandboxBenchmarks.class.getName() + "\\.");
        medians(ManagerBenchmarks.class.getName() + "\\.").forEach((name, ms) -> median.put("manager." + name, ms));
        double runsPerSecond = throughput(SandboxBenchmarks.class.getName() + "\\.sandboxCreateExecDestroy");

        List<String> lines = new ArrayList<>();
        lines.add("== Stagecraft sandbox, per exec of /bin/true (median, same run) ==");
        median.forEach((name, ms) -> lines.add(String.format(Locale.ROOT, "  %-26s %8.2f ms", name, ms)));
        double bwrap = median.get("bareBwrap");
        lines.add(String.format(Locale.ROOT, "  ratio create+exec+destroy / bare bwrap: %.2fx (target <= 1.5x)",
                median.get("sandboxCreateExecDestroy") / bwrap));
        lines.add(String.format(Locale.ROOT, "  ratio warm acquire+exec+release (manager, pool) / bare bwrap: %.2fx",
                median.get("manager.warmAcquireExecRelease") / bwrap));
        lines.add(String.format(Locale.ROOT, "  ratio exec in a live environment / bare bwrap: %.2fx",
                median.get("sandboxExec") / bwrap));
        lines.add(String.format(Locale.ROOT, "  ratio bare bwrap / fork-exec: %.2fx", bwrap / median.get("forkExec")));
        lines.add(String.format(Locale.ROOT, "  ratio networked create+exec+destroy / bare bwrap + slirp4netns: %.2fx (goal <= 1.5x)",
                median.get("networkedCreateExecDestroy") / median.get("bareBwrapSlirp")));
        lines.add(String.format(Locale.ROOT, "  warm acquire from a pool (manager): %.3f ms; cold acquire (select + create): %.2f ms",
                median.get("manager.warmAcquire"), median.get("manager.coldAcquire")));
        lines.add(String.format(Locale.ROOT, "  complete sandboxed runs per second, %d threads, %d cores: %.1f (target >= 100)",
                threads, Runtime.getRuntime().availableProcessors(), runsPerSecond));
        return lines;
    }
}
