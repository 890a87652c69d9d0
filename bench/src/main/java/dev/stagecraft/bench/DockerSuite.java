package dev.stagecraft.bench;

import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The docker provider (through the manager) against the Docker CLI, measured in the same run. */
final class DockerSuite extends BenchSuite {
    DockerSuite(int iterations, int seconds, int threads) {
        super(iterations, seconds, threads);
    }

    @Override
    List<String> run() throws RunnerException {
        Map<String, Double> median = medians(DockerBenchmarks.class.getName() + "\\.");
        double runRm = median.get("cliDockerRunRm");
        double cold = median.get("coldAcquireExecRelease");
        double warm = median.get("warmAcquire");
        double cliExec = median.get("cliDockerExec");
        double exec = median.get("exec");

        List<String> lines = new ArrayList<>();
        lines.add("== Stagecraft docker (runc unless named, " + DockerBenchmarks.IMAGE + "), per run of /bin/true (median, same run) ==");
        median.forEach((name, ms) -> lines.add(String.format(Locale.ROOT, "  %-30s %8.2f ms", name, ms)));
        lines.add(String.format(Locale.ROOT, "  ratio cold acquire+exec+release / docker run --rm: %.2fx (target < 1x) %s",
                cold / runRm, verdict(cold < runRm)));
        lines.add(String.format(Locale.ROOT, "  warm acquire from a pool: %.3f ms (target < 5 ms) %s", warm, verdict(warm < 5)));
        lines.add(String.format(Locale.ROOT, "  ratio exec round trip / docker exec: %.2fx (target <= 0.5x) %s",
                exec / cliExec, verdict(exec <= 0.5 * cliExec)));
        lines.add(String.format(Locale.ROOT, "  gVisor (runsc, the high level; no targets): cold acquire+exec+release / docker run --rm"
                + " --runtime runsc: %.2fx; exec round trip / docker exec: %.2fx",
                median.get("coldAcquireExecReleaseGvisor") / median.get("cliDockerRunRmGvisor"),
                median.get("execGvisor") / median.get("cliDockerExecGvisor")));
        return lines;
    }

    private static String verdict(boolean met) {
        return met ? "met" : "MISSED";
    }
}
