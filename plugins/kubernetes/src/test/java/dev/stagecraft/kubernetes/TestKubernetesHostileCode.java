package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.tck.HostileContract;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The hostile battery on the test cluster, busybox pods of the container class. After each attack the destroyed
 * environment must have left no pod, no NetworkPolicy and no Docker container of its pod on the node.
 *
 * <p>Kubernetes 1.20 has no per-pod pids limit (only the kubelet's node-wide {@code --pod-max-pids}), so the process
 * limit is the nproc ulimit of every command ({@code processes}), which the kernel counts per uid: a refused fork is
 * not told apart from a command's own failure.
 */
class TestKubernetesHostileCode extends HostileContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        Map<String, Object> settings = new HashMap<>(KubernetesFixtures.testSettings());
        settings.put("processes", Long.toString(pidsLimit()));
        settings.put("tmp-size", scratchBytes() / MIB + "m");
        settings.put("file-size", fileSizeBytes() / MIB + "m");
        settings.put("open-files", Long.toString(openFiles()));
        // the test cluster runs dockershim on Docker's bridge, with no network plugin that enforces NetworkPolicy
        settings.put("network-policy-enforced", false);
        return KubernetesFixtures.provider(stateDir, settings);
    }

    @Override
    protected EnvironmentRequirement.Builder requirement() {
        return super.requirement().isolation(IsolationLevel.CONTAINER);
    }

    @Override
    protected long pidsLimit() {
        return 128;
    }

    /**
     * True: when a timeout's kill cannot sweep what a command left within five passes (a bomb refilling the slots the
     * kill frees), the provider kills every process in the pod ({@code kill -KILL -1}, one step of the kernel) and
     * marks the environment stopped ({@code PodScripts.KILL_EVERYTHING}). On the test cluster the group kill and the
     * sweep have ended the bomb every time so far, and the environment stayed READY. The hook also lets the battery's
     * looks inside fail while the bomb dies.
     */
    @Override
    protected boolean forkBombMayStopTheEnvironment() {
        return true;
    }

    /**
     * Every pod has eth0, and on the test cluster nothing enforces its deny-all NetworkPolicy; the kind says so
     * ({@code describe().alwaysNetworked()} unless {@code network-policy-enforced}), and selection keeps it from the
     * levels where network is forbidden.
     */
    @Override
    protected boolean networkAlwaysOn() {
        return true;
    }

    @Override
    protected boolean pidsLimitHitsAreReported() {
        return false;
    }

    @Override
    protected void assertNothingLeft(ExecutionEnvironment destroyed) {
        try (KubernetesClient client = KubernetesFixtures.client()) {
            KubernetesFixtures.assertNothingLeft(client, "default", destroyed.id());
        }
    }
}
