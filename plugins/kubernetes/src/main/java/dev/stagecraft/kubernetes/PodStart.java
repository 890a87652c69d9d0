package dev.stagecraft.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * When a new pod's container runs. The kubelet writes a container's state into the pod's status only after its next
 * relist of the container runtime (once a second) and a status sync, and the Ready condition comes in that same
 * update; it records the event {@value #REASON} for the container as soon as the runtime's start call returned. On the
 * test cluster the status came 0.03-1.3 s after that event. So a pod counts as started at whichever comes first: that
 * event (for this pod's uid and its container), or a status that shows the container running. The status alone still
 * says that a pod cannot start ({@link PodCreation#hopeless}). Events are best effort: where they are lost, or the role may not
 * list and watch them, the status decides, as late as it comes. A pod behind a Service (exposed ports) waits for its
 * status too, since the Service's endpoints list only a Ready pod.
 */
final class PodStart {
    static final String REASON = "Started";
    private static final String FIELD_PATH = "spec.containers{" + PodExec.CONTAINER + "}";

    private PodStart() {
    }

    /**
     * Waits until the container of pod {@code name} (uid {@code uid}) runs, or its status shows it never will. With
     * {@code byEvent} false only the status counts (a pod behind a Service: its endpoints list only a Ready pod).
     *
     * @return null once it runs; else why it cannot start
     * @throws TimeoutException when neither came within {@code within}
     * @throws ExecutionException when the pod's status could not be watched
     */
    static String await(KubernetesClient client, String namespace, String name, String uid, Duration within, boolean byEvent)
            throws TimeoutException, ExecutionException, InterruptedException {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        CompletableFuture<List<Pod>> status = client.pods().inNamespace(namespace).withName(name).informOnCondition(pods -> {
            Pod p = pods.isEmpty() ? null : pods.get(0);
            String why = PodCreation.hopeless(p);
            if (why != null) {
                outcome.complete(why);
                return true;
            }
            if (running(p) || PodCreation.ready(p)) {
                outcome.complete(null);
                return true;
            }
            return false;
        });
        status.whenComplete((pods, failed) -> {
            if (failed != null) {
                outcome.completeExceptionally(failed);
            }
        });
        CompletableFuture<List<Event>> announced = byEvent ? startEvent(client, namespace, name, uid) : null;
        if (announced != null) {
            announced.thenRun(() -> outcome.complete(null)); // failed (not allowed, not answered): the status decides
        }
        try {
            return outcome.get(within.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            status.cancel(true);
            if (announced != null) {
                announced.cancel(true);
            }
        }
    }

    /** Completes at the kubelet's Started event of the pod's container; null when the events cannot be watched. */
    private static CompletableFuture<List<Event>> startEvent(KubernetesClient client, String namespace, String name, String uid) {
        try {
            return client.v1().events().inNamespace(namespace).withField("involvedObject.name", name)
                    .informOnCondition(events -> events.stream().anyMatch(e -> isStart(e, uid)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether the kubelet recorded that the container of pod {@code name} (uid {@code uid}) started: one list of its
     * events. False where it cannot tell (no such event, or the events cannot be listed).
     */
    static boolean announced(KubernetesClient client, String namespace, String name, String uid) {
        try {
            return client.v1().events().inNamespace(namespace).withField("involvedObject.name", name).list().getItems()
                    .stream().anyMatch(e -> isStart(e, uid));
        } catch (RuntimeException e) {
            return false;
        }
    }

    static boolean isStart(Event e, String uid) {
        var about = e.getInvolvedObject();
        return REASON.equals(e.getReason()) && about != null && uid != null && uid.equals(about.getUid())
                && "Pod".equals(about.getKind()) && FIELD_PATH.equals(about.getFieldPath());
    }

    /** Whether the pod's status shows its container running. */
    static boolean running(Pod p) {
        if (p == null || p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
            return false;
        }
        return p.getStatus().getContainerStatuses().stream().anyMatch(c -> PodExec.CONTAINER.equals(c.getName())
                && c.getState() != null && c.getState().getRunning() != null);
    }
}
