package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Rebuilds environments from the cluster alone: every pod, NetworkPolicy, Service and ConfigMap in the namespace
 * labelled with this kind, read back through their labels annotation ({@link PodLabels}). A pod being deleted
 * (destroyed; the kubelet is ending it) is no environment any more, nor are the objects it owns, which the garbage
 * collector removes after it. A NetworkPolicy, Service or ConfigMap whose pod is missing (a crash between the
 * creates, or a pod deleted by hand) is an environment too, in status ERROR, so that the reaper finds and removes it.
 * A pod made by an older provider, without the run files' tmpfs ({@link PodManifest#hasRunDir}), is adopted as it
 * is: its files can be read and written, but every command is refused with one line saying so.
 */
final class PodDiscovery {
    private PodDiscovery() {
    }

    static List<ExecutionEnvironment> discover(KubernetesClient client, KubernetesSettings settings, ExecutorService workers,
                                               PodRemoval removal, PodUseRecords uses) {
        String namespace = settings.namespace();
        Map<String, ExecutionEnvironment> found = new LinkedHashMap<>();
        java.util.Set<String> leaving = new java.util.HashSet<>();
        for (Pod pod : client.pods().inNamespace(namespace).withLabels(PodLabels.kindSelector()).list().getItems()) {
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                // destroyed: the kubelet is ending it, and the garbage collector then takes what it owns
                adopt(pod).ifPresent(labels -> leaving.add(labels.environmentId()));
                continue;
            }
            adopt(pod).ifPresent(labels -> found.put(labels.environmentId(), environment(pod, labels, client, settings, workers, removal, uses)));
        }
        List<HasMetadata> dependents = new ArrayList<>(client.network().v1().networkPolicies().inNamespace(namespace)
                .withLabels(PodLabels.kindSelector()).list().getItems());
        dependents.addAll(client.services().inNamespace(namespace).withLabels(PodLabels.kindSelector()).list().getItems());
        dependents.addAll(client.configMaps().inNamespace(namespace).withLabels(PodLabels.kindSelector()).list().getItems());
        for (HasMetadata object : dependents) {
            adopt(object).filter(labels -> !found.containsKey(labels.environmentId()) && !leaving.contains(labels.environmentId()))
                    .ifPresent(labels -> found.put(
                    labels.environmentId(), new KubernetesEnvironment(labels.environmentId(), labels, IsolationLevel.CONTAINER,
                            client, settings, -1, false, true, workers, removal, uses)));
        }
        return List.copyOf(found.values());
    }

    private static Optional<Labels> adopt(HasMetadata object) {
        return PodLabels.of(object.getMetadata())
                .filter(labels -> PodLabels.objectName(labels.environmentId()).equals(object.getMetadata().getName()));
    }

    private static KubernetesEnvironment environment(Pod pod, Labels labels, KubernetesClient client, KubernetesSettings settings,
                                                     ExecutorService workers, PodRemoval removal, PodUseRecords uses) {
        IsolationLevel isolation = pod.getSpec().getRuntimeClassName() == null ? IsolationLevel.CONTAINER : IsolationLevel.USER_KERNEL;
        boolean stopped = pod.getMetadata().getAnnotations() != null
                && "true".equals(pod.getMetadata().getAnnotations().get(KubernetesEnvironment.STOPPED));
        long memory = -1;
        var resources = pod.getSpec().getContainers().get(0).getResources();
        if (resources != null && resources.getLimits() != null && resources.getLimits().get("memory") != null) {
            Quantity q = resources.getLimits().get("memory");
            memory = q.getNumericalAmount().longValue();
        }
        return new KubernetesEnvironment(labels.environmentId(), labels, isolation, client, settings, memory, stopped,
                PodManifest.hasRunDir(pod), workers, removal, uses);
    }
}
