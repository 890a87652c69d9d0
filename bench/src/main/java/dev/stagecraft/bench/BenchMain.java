package dev.stagecraft.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one provider's benchmarks (or all) in one session and prints medians and ratios against the bare
 * tools measured in the same run. Arguments: {@code [sandbox|docker|kvm|kubernetes|front|front-medium|all] [iterations]
 * [seconds-per-iteration] [threads]} (default sandbox 5 2 4); {@code load [waves] [concurrent]} (default 4 500) and
 * {@code soak [runs] [clients]} (default 10000 2) drive a server instead.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "sandbox";
        if (which.equals("load") || which.equals("soak")) {
            BenchSuite suite = which.equals("load")
                    ? new LoadSuite(argument(args, 1, 4), argument(args, 2, 500))
                    : new SoakSuite(argument(args, 1, 10_000), argument(args, 2, 2));
            suite.run().forEach(System.out::println);
            return;
        }
        int iterations = argument(args, 1, 5);
        int seconds = argument(args, 2, 2);
        int threads = argument(args, 3, 4);

        List<BenchSuite> suites = new ArrayList<>();
        for (String name : which.equals("all") ? List.of("sandbox", "docker", "kvm") : List.of(which)) {
            suites.add(suite(name, iterations, seconds, threads));
        }
        List<String> report = new ArrayList<>();
        for (BenchSuite suite : suites) {
            report.add("");
            report.addAll(suite.run());
        }
        report.forEach(System.out::println);
    }

    private static int argument(String[] args, int index, int otherwise) {
        if (args.length <= index) {
            return otherwise;
        }
        try {
            return Integer.parseInt(args[index]);
        } catch (NumberFormatException e) {
            System.err.println("stagecraft bench: '" + args[index] + "' is not a whole number (argument " + index + ")");
            System.exit(2);
            return otherwise;
        }
    }

    private static BenchSuite suite(String name, int iterations, int seconds, int threads) {
        switch (name) {
            case "sandbox":
                return new SandboxSuite(iterations, seconds, threads);
            case "docker":
                return new DockerSuite(iterations, seconds, threads);
            case "kvm":
                return new KvmSuite(iterations, seconds, threads);
            case "front":
                return new FrontSuite(iterations, seconds, threads, true);
            case "kubernetes":
                return new KubernetesSuite(iterations, seconds, threads);
            case "front-medium":
                return new FrontSuite(iterations, seconds, threads, false);
            default:
                System.err.println("stagecraft bench: unknown suite '" + name + "' (expected sandbox, docker, kvm, kubernetes, front, front-medium, load, soak or all)");
                System.exit(2);
                return null;
        }
    }
}
