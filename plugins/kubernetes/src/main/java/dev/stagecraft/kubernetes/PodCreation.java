package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProvisioningException;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Makes one environment: its NetworkPolicy first (so that the pod never runs without it), its Service and ConfigMap
 * where the options ask for them ({@link PodOptions}, checked before anything is made), then its pod, which then
 * becomes the owner of the others ({@link PodRemoval#own}, while the container starts), then waits for the pod's
 * container to run ({@link PodStart}: the kubelet's Started event or the pod's status, whichever comes first). A pod
 * that cannot start (an image that cannot be had, a refused RuntimeClass, a container that exits) fails at once with
 * the kubelet's reason; one still not started at the ready timeout fails with the pod's latest warning event. Either
 * way everything made is removed before the {@link ProvisioningException}.
 */
final class PodCreation {
    /** Container waiting reasons that will not pass by themselves. */
    private static final Set<String> HOPELESS = Set.of("ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull",
            "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    private PodCreation() {
    }

    static KubernetesEnvironment create(EnvironmentSpec spec, KubernetesSettings settings, KubernetesClient client,
                                        ExecutorService workers, PodRemoval removal, PodUseRecords uses) {
        if (spec.isolation() != IsolationLevel.CONTAINER && spec.isolation() != IsolationLevel.USER_KERNEL) {
            throw new ProvisioningException("the kubernetes kind gives the container class, or user-kernel through a RuntimeClass;"
                    + " not " + spec.isolation().label());
        }
        if (spec.requirement().gpu()) {
            throw new ProvisioningException("the kubernetes kind does not attach GPUs yet");
        }
        String namespace = settings.namespace();
        String name = PodLabels.objectName(spec.id());
        PodOptions options = PodOptions.of(spec.requirement()); // a bad option fails here, before anything is made
        Pod manifest = PodManifest.pod(spec, settings);
        var service = PodManifest.service(spec, namespace);
        var configMap = PodManifest.configMap(spec, namespace);
        Pod made;
        try {
            client.network().v1().networkPolicies().inNamespace(namespace).resource(PodManifest.networkPolicy(spec, namespace)).create();
            service.ifPresent(s -> client.services().inNamespace(namespace).resource(s).create());
            configMap.ifPresent(c -> client.configMaps().inNamespace(namespace).resource(c).create());
            made = client.pods().inNamespace(namespace).resource(manifest).create();
        } catch (RuntimeException e) {
            removeQuietly(removal, spec.id());
            throw new ProvisioningException(refusal(e, namespace, name), e);
        }
        // the owner references only matter once the pod is deleted: given while its container starts
        CompletableFuture<Void> owned;
        try {
            owned = CompletableFuture.runAsync(() -> removal.own(made, options), workers);
        } catch (RejectedExecutionException closing) {
            owned = CompletableFuture.failedFuture(closing);
        }
        String hopeless;
        try {
            // a Service routes only to a Ready pod: with exposed ports the pod's status decides
            hopeless = PodStart.await(client, namespace, name, made.getMetadata().getUid(), settings.readyTimeout(),
                    !options.exposed());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            discard(owned, removal, spec.id());
            throw new ProvisioningException("interrupted while pod " + namespace + "/" + name + " started", e);
        } catch (TimeoutException e) {
            String warning = latestWarning(client, namespace, name);
            discard(owned, removal, spec.id());
            throw new ProvisioningException("pod " + namespace + "/" + name + " did not start within " + settings.readyTimeout()
                    + (warning == null ? "" : ": " + warning), e);
        } catch (ExecutionException e) {
            discard(owned, removal, spec.id());
            throw new ProvisioningException("cannot watch pod " + namespace + "/" + name + " start: "
                    + Messages.oneLine(e.getCause()), e);
        }
        if (hopeless != null) {
            discard(owned, removal, spec.id());
            throw new ProvisioningException("pod " + namespace + "/" + name + " cannot start: " + hopeless);
        }
        try {
            owned.join();
        } catch (CompletionException e) {
            removeQuietly(removal, spec.id());
            RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
            throw new ProvisioningException(refusal(cause, namespace, name), cause);
        }
        long memory = manifest.getSpec().getContainers().get(0).getResources().getLimits().get("memory").getNumericalAmount().longValue();
        KubernetesEnvironment environment = new KubernetesEnvironment(spec.id(), spec.labels(), spec.isolation(), client, settings,
                memory, false, true, workers, removal, uses);
        environment.sawStart();
        return environment;
    }

    static boolean ready(Pod p) {
        if (p == null || p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        return p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Why the pod will never be Ready, or null while it may still be. */
    static String hopeless(Pod p) {
        if (p == null) {
            return "it was deleted while starting";
        }
        if (p.getStatus() == null) {
            return null;
        }
        String phase = p.getStatus().getPhase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
            return "it is " + phase + (p.getStatus().getMessage() == null ? "" : " (" + p.getStatus().getMessage() + ")");
        }
        List<ContainerStatus> containers = p.getStatus().getContainerStatuses();
        if (containers != null) {
            for (ContainerStatus c : containers) {
                var waiting = c.getState() == null ? null : c.getState().getWaiting();
                if (waiting != null && HOPELESS.contains(waiting.getReason())) {
                    return waiting.getReason() + (waiting.getMessage() == null ? "" : ": " + waiting.getMessage());
                }
                if (c.getState() != null && c.getState().getTerminated() != null) {
                    return "its container exited (" + c.getState().getTerminated().getReason() + ", exit code "
                            + c.getState().getTerminated().getExitCode() + ")";
                }
            }
        }
        if (p.getStatus().getConditions() != null) {
            for (PodCondition c : p.getStatus().getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason())) {
                    return null; // may fit once another pod ends; the ready timeout says so with the message
                }
            }
        }
        return null;
    }

    /** The pod's most recent warning event, as "Reason: message", or null. */
    static String latestWarning(KubernetesClient client, String namespace, String name) {
        try {
            return client.v1().events().inNamespace(namespace).withField("involvedObject.name", name).list().getItems().stream()
                    .filter(e -> "Warning".equals(e.getType()))
                    .max(Comparator.comparing(PodCreation::when))
                    .map(e -> e.getReason() + ": " + e.getMessage()).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String when(Event e) {
        String t = e.getLastTimestamp() != null ? e.getLastTimestamp() : e.getEventTime() == null ? null : e.getEventTime().getTime();
        return t == null ? "" : t;
    }

    static String refusal(RuntimeException e, String namespace, String name) {
        int code = Messages.code(e);
        if (code == 403) {
            return "the cluster refused to make the objects " + namespace + "/" + name + " (HTTP 403): the role needs"
                    + " verbs 'create' on 'pods', and 'create', 'get' and 'patch' on 'networkpolicies', 'services' and 'configmaps'"
                    + " (docs/providers/kubernetes.md): " + Messages.oneLine(e);
        }
        if (code == 404) {
            return "namespace '" + namespace + "' does not exist: create it (kubectl create namespace " + namespace
                    + ") or set providers.kubernetes.namespace";
        }
        return "cannot create pod " + namespace + "/" + name + ": " + Messages.oneLine(e);
    }

    /** Removes what was made, once the owner references are given (so that none goes to objects being deleted). */
    private static void discard(CompletableFuture<Void> owned, PodRemoval removal, String id) {
        try {
            owned.join();
        } catch (CompletionException e) {
            // the removal deletes them by name either way
        }
        removeQuietly(removal, id);
    }

    private static void removeQuietly(PodRemoval removal, String id) {
        try {
            removal.remove(id);
        } catch (RuntimeException e) {
            // the creation's own error says more; what is left carries labels for the reaper
        }
    }
}
