package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * Removes every object of one environment. The pod is deleted with a one-second grace period (its main process ends
 * at SIGTERM, everything else is killed a second later), and {@link #remove} returns as soon as the apiserver has
 * accepted that: from then on the pod is Terminating, no command can start in it, and the kubelet stops its
 * containers. Its NetworkPolicy, Service and ConfigMap are owned by the pod ({@link #own}), so the cluster's garbage
 * collector removes them once the pod is gone, after the containers stopped, even if this process dies first. A
 * background task watches the pod leave and deletes it by force past {@link #GONE_WITHIN} (a kubelet that does not
 * answer), as {@code kubectl delete --force} would, then deletes the others itself (a policy made by an older provider
 * has no owner; owned ones may already be gone). Finding nothing is success: removal is idempotent.
 */
final class PodRemoval {
    static final Duration GONE_WITHIN = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(250);

    private final KubernetesClient client;
    private final String namespace;
    private final Executor background;

    PodRemoval(KubernetesClient client, String namespace, Executor background) {
        this.client = client;
        this.namespace = namespace;
        this.background = background;
    }

    /**
     * Makes {@code pod} the owner of its environment's NetworkPolicy, and of its Service and ConfigMap where
     * {@code options} made them, so that they go when the pod has gone.
     */
    void own(Pod pod, PodOptions options) {
        String name = pod.getMetadata().getName();
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod").withName(name)
                .withUid(pod.getMetadata().getUid()).withBlockOwnerDeletion(false).build();
        client.network().v1().networkPolicies().inNamespace(namespace).withName(name).edit(policy -> ownedBy(policy, owner));
        if (options.exposed()) {
            client.services().inNamespace(namespace).withName(name).edit(service -> ownedBy(service, owner));
        }
        if (options.hasConfig()) {
            client.configMaps().inNamespace(namespace).withName(name).edit(config -> ownedBy(config, owner));
        }
    }

    private static <T extends HasMetadata> T ownedBy(T object, OwnerReference owner) {
        object.getMetadata().setOwnerReferences(List.of(owner));
        return object;
    }

    /** Deletes the objects the pod owns (404 is success: an owned one may be gone already, or was never made). */
    private void removeOwned(String name) {
        client.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
        client.services().inNamespace(namespace).withName(name).delete();
        client.configMaps().inNamespace(namespace).withName(name).delete();
    }

    void remove(String environmentId) {
        String name = PodLabels.objectName(environmentId);
        try {
            var pod = client.pods().inNamespace(namespace).withName(name);
            if (pod.withGracePeriod(1).delete().isEmpty()) {
                removeOwned(name);
                return;
            }
            try {
                background.execute(() -> finish(name));
            } catch (RejectedExecutionException closing) {
                // the provider is closing: the kubelet ends the pod and the garbage collector its owned objects anyway
            }
        } catch (RuntimeException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot remove the pod and its objects " + namespace
                    + "/" + name + " of '" + environmentId + "': " + Messages.oneLine(e));
        }
    }

    /** Waits (plain GETs) until the pod is gone, forcing it past {@link #GONE_WITHIN}; then deletes what it owned. */
    private void finish(String name) {
        try {
            var pod = client.pods().inNamespace(namespace).withName(name);
            long end = System.nanoTime() + GONE_WITHIN.toNanos();
            while (pod.get() != null && !Thread.currentThread().isInterrupted()) {
                if (System.nanoTime() - end > 0) {
                    pod.withGracePeriod(0).delete();
                    break;
                }
                LockSupport.parkNanos(POLL.toNanos());
            }
            removeOwned(name);
        } catch (RuntimeException e) {
            // best effort: a pod still Terminating is the kubelet's to end; an object left over is found by discover()
        }
    }
}
