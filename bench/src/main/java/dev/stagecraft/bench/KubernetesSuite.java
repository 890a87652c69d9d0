package dev.stagecraft.bench;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.Labels;
import dev.stagecraft.core.Stagecraft;
import dev.stagecraft.core.manager.Lease;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The kubernetes provider through the embedded manager against kubectl on the same cluster, in one run, per run of
 * {@code /bin/true} in the busybox test image (never pulled): a cold acquire + exec + release against
 * {@code kubectl run --rm -i --restart=Never}, an exec round trip in a ready pod against {@code kubectl exec} into
 * the same pod, a 4 KiB file written and read back against two kubectl execs, and an acquire from a warm pool. Each
 * cold sample starts once no pod is leaving the node ({@link #awaitNoPodLeaving}). Alternating samples, p50 and p99. Not JMH: one cold sample takes
 * seconds. Needs the kubeconfig of scripts/setup.d/60-kubernetes.sh ({@code KUBECONFIG} names another) and kubectl.
 */
final class KubernetesSuite extends BenchSuite {
    private static final String IMAGE = "stagecraft/busybox:latest";
    private static final ExecRequest TRUE = ExecRequest.of("/bin/true");
    private static final EnvironmentRequirement COLD = EnvironmentRequirement.builder().toolType("k8s-cold")
            .provider("kubernetes").build();
    private static final EnvironmentRequirement WARM = EnvironmentRequirement.builder().toolType("k8s-warm")
            .provider("kubernetes").build();

    KubernetesSuite(int iterations, int seconds, int threads) {
        super(iterations, seconds, threads);
    }

    @Override
    List<String> run() {
        try {
            return measure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("kubernetes benchmark failed: " + e.getMessage(), e);
        }
    }

    private List<String> measure() throws Exception {
        Path kubeconfig = Path.of(System.getenv().getOrDefault("KUBECONFIG", "/var/lib/stagecraft/kubernetes/admin.kubeconfig"));
        String kubectl = Files.isExecutable(Path.of("/var/cache/stagecraft/kubernetes/bin/kubectl"))
                ? "/var/cache/stagecraft/kubernetes/bin/kubectl" : BareCommands.onPath("kubectl");
        if (!Files.isReadable(kubeconfig)) {
            return List.of("== Stagecraft kubernetes: not measured, no kubeconfig at " + kubeconfig
                    + " (scripts/install-deps.sh kubernetes makes the test cluster) ==");
        }
        int cold = Math.max(2, iterations);
        int execs = iterations * 8;
        int warm = Math.max(2, iterations);
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "== Stagecraft kubernetes (%s, /bin/true), same run, %d cold, %d exec, %d file and %d warm"
                + " samples ==", IMAGE, cold, execs, cold, warm));
        try (Stagecraft stagecraft = BenchStagecraft.start("kubernetes", "disabled-providers: [sandbox, docker, kvm, lambda, gpu]\n"
                + "providers:\n  kubernetes:\n    kubeconfig: " + kubeconfig + "\n    image-pull-policy: Never\n"
                + "    images:\n      default: " + IMAGE + "\n"
                + "pools:\n  k8s-warm:\n    size: 1\n    tool-type: k8s-warm\n    provider: kubernetes\n")) {
            List<String> kubectlBase = List.of(kubectl, "--kubeconfig", kubeconfig.toString(), "--namespace", "default");
            double[] runRm = new double[cold];
            double[] coldMs = new double[cold];
            for (int i = 0; i < cold; i++) {
                awaitNoPodLeaving(kubectlBase);
                runRm[i] = timed(() -> kubectlRun(kubectlBase));
                awaitNoPodLeaving(kubectlBase);
                coldMs[i] = timed(() -> acquireExecRelease(stagecraft, COLD));
            }
            double[] kubectlExec = new double[execs];
            double[] execMs = new double[execs];
            double[] kubectlFiles = new double[cold];
            double[] filesMs = new double[cold];
            try (Lease held = stagecraft.manager().acquire(COLD)) {
                String pod = podOf(kubectlBase, held.id());
                List<String> exec = new ArrayList<>(kubectlBase);
                exec.addAll(List.of("exec", pod, "--", "/bin/true"));
                for (int i = 0; i < execs; i++) {
                    kubectlExec[i] = timed(() -> BareCommands.run(exec));
                    execMs[i] = timed(() -> check(held.execute(TRUE)));
                }
                String text = "x".repeat(4095) + "\n";
                List<String> put = new ArrayList<>(kubectlBase);
                put.addAll(List.of("exec", pod, "--", "sh", "-c", "printf %s \"$1\" > /workspace/kubectl.txt", "sh", text));
                List<String> get = new ArrayList<>(kubectlBase);
                get.addAll(List.of("exec", pod, "--", "cat", "/workspace/kubectl.txt"));
                for (int i = 0; i < cold; i++) {
                    kubectlFiles[i] = timed(() -> BareCommands.run(put) + BareCommands.run(get));
                    filesMs[i] = timed(() -> putAndGet(held, text));
                }
            }
            double[] warmMs = new double[warm];
            for (int i = 0; i < warm; i++) {
                BenchStagecraft.awaitPool(stagecraft, "k8s-warm", 1, Duration.ofMinutes(2));
                long start = System.nanoTime();
                Lease lease = stagecraft.manager().acquire(WARM);
                warmMs[i] = (System.nanoTime() - start) / 1e6;
                lease.close();
            }
            lines.add(Percentiles.line("kubectl run --rm -i --restart=Never", runRm, null));
            lines.add(Percentiles.line("cold acquire + exec + release", coldMs, runRm));
            lines.add(Percentiles.line("kubectl exec POD -- /bin/true", kubectlExec, null));
            lines.add(Percentiles.line("exec round trip (provider)", execMs, kubectlExec));
            lines.add(Percentiles.line("kubectl exec: put 4 KiB (argument) + cat", kubectlFiles, null));
            lines.add(Percentiles.line("putFile + getFile 4 KiB (provider)", filesMs, kubectlFiles));
            lines.add(Percentiles.line("warm acquire from a pool", warmMs, null));
            lines.add(String.format(Locale.ROOT, "  goals: cold below kubectl run (%s), exec <= 0.5x kubectl exec (%s),"
                    + " warm acquire < 5 ms (%s)", verdict(Percentiles.of(coldMs, 0.5) < Percentiles.of(runRm, 0.5)),
                    verdict(Percentiles.of(execMs, 0.5) <= 0.5 * Percentiles.of(kubectlExec, 0.5)),
                    verdict(Percentiles.of(warmMs, 0.5) < 5)));
        }
        return lines;
    }

    private static int kubectlRun(List<String> base) throws Exception {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("run", "bench-" + UUID.randomUUID().toString().substring(0, 8), "--rm", "-i",
                "--restart=Never", "--image=" + IMAGE, "--image-pull-policy=Never", "--quiet", "--", "/bin/true"));
        return BareCommands.run(command);
    }

    /**
     * Waits, untimed, until no pod of the namespace is still leaving. A deleted pod keeps its CPU request until the
     * kubelet lets it leave the API (5-10 s here), and ours request 0.5 CPU on a 2-CPU node (kubectl run's none): back
     * to back, the scheduler would hold the next create for room, and the row would time the node's capacity, not the
     * path. Each sample starts on a node with room, for both.
     */
    private static void awaitNoPodLeaving(List<String> base) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("get", "pods", "-o", "jsonpath={.items[*].metadata.deletionTimestamp}"));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String leaving = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (process.waitFor() == 0 && leaving.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("pods still leaving the namespace after 60 s");
    }

    /** The pod of environment {@code id}, found by its label as any kubectl user would. */
    private static String podOf(List<String> base, String id) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("get", "pods", "-l", Labels.ENVIRONMENT_ID + "=" + id, "-o", "jsonpath={.items[0].metadata.name}"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String name = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        if (process.waitFor() != 0 || name.isEmpty()) {
            throw new IllegalStateException("no pod labelled " + Labels.ENVIRONMENT_ID + "=" + id + ": " + name);
        }
        return name;
    }

    private static int acquireExecRelease(Stagecraft stagecraft, EnvironmentRequirement requirement) {
        try (Lease lease = stagecraft.manager().acquire(requirement)) {
            return check(lease.execute(TRUE));
        }
    }

    private static int putAndGet(Lease lease, String text) {
        byte[] content = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        lease.putFile("bench.txt", content);
        if (!java.util.Arrays.equals(lease.getFile("bench.txt", 1 << 16), content)) {
            throw new IllegalStateException("the file read back differs from the one written");
        }
        return 0;
    }

    private static int check(ExecResult result) {
        if (!result.succeeded()) {
            throw new IllegalStateException("/bin/true in a pod failed: " + result);
        }
        return result.exitCode();
    }

    private interface Step {
        int run() throws Exception;
    }

    private static double timed(Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1e6;
    }

    private static String verdict(boolean met) {
        return met ? "met" : "MISSED";
    }
}
