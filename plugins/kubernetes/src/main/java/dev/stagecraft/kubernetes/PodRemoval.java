package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Removes every object of one environment: its NetworkPolicy, and its pod with a one-second grace period (the pod's
 * main process ends at SIGTERM), then waits until the kubelet has stopped the containers and the pod is gone from the
 * API. A pod still there after {@link #GONE_WITHIN} (a kubelet that does not answer) is deleted by force, as
 * {@code kubectl delete --force} would. Finding nothing is success: removal is idempotent.
 */
final class PodRemoval {
    static final Duration GONE_WITHIN = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(100);

    private final KubernetesClient client;
    private final String namespace;

    PodRemoval(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    void remove(String environmentId) {
        String name = PodLabels.objectName(environmentId);
        try {
            client.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
            var pod = client.pods().inNamespace(namespace).withName(name);
            if (pod.withGracePeriod(1).delete().isEmpty()) {
                return;
            }
            // polled with plain GETs: it is unclear whether waitUntilCondition hands a deletion to its predicate
            long end = System.nanoTime() + GONE_WITHIN.toNanos();
            while (pod.get() != null) {
                if (System.nanoTime() - end > 0) {
                    pod.withGracePeriod(0).delete();
                    return;
                }
                LockSupport.parkNanos(POLL.toNanos());
            }
        } catch (RuntimeException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot remove the pod and network policy " + namespace
                    + "/" + name + " of '" + environmentId + "': " + Messages.oneLine(e));
        }
    }
}
