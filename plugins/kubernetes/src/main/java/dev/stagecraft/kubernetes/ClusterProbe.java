package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ProviderHealth;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code probe()} finds on the cluster, in the order a person fixes things: credentials, the apiserver answering
 * them (401), every verb the provider needs in its namespace (a {@code SelfSubjectAccessReview} each, so a 403 names
 * the verb and resource missing from the Role), the namespace, a Ready node, and the RuntimeClass of the user-kernel
 * class. Listing nodes and RuntimeClasses is cluster-scoped and optional: without that permission the probe says it
 * could not tell, and goes on.
 */
final class ClusterProbe {
    /** Every verb on every resource the provider uses in its namespace: the minimal Role of the docs. */
    static final List<String[]> NEEDED = List.of(
            new String[] {"", "pods", "", "create"}, new String[] {"", "pods", "", "get"}, new String[] {"", "pods", "", "list"},
            new String[] {"", "pods", "", "watch"}, new String[] {"", "pods", "", "patch"}, new String[] {"", "pods", "", "delete"},
            new String[] {"", "pods", "exec", "create"}, new String[] {"", "pods", "exec", "get"},
            new String[] {"networking.k8s.io", "networkpolicies", "", "create"},
            new String[] {"networking.k8s.io", "networkpolicies", "", "get"},
            new String[] {"networking.k8s.io", "networkpolicies", "", "patch"},
            new String[] {"networking.k8s.io", "networkpolicies", "", "list"},
            new String[] {"networking.k8s.io", "networkpolicies", "", "delete"},
            new String[] {"", "services", "", "create"}, new String[] {"", "services", "", "get"},
            new String[] {"", "services", "", "patch"}, new String[] {"", "services", "", "list"},
            new String[] {"", "services", "", "delete"},
            new String[] {"", "configmaps", "", "create"}, new String[] {"", "configmaps", "", "get"},
            new String[] {"", "configmaps", "", "patch"}, new String[] {"", "configmaps", "", "list"},
            new String[] {"", "configmaps", "", "delete"});

    /** What was found; {@code userKernel} is whether the configured RuntimeClass exists. */
    record Findings(ProviderHealth health, boolean userKernel) {
    }

    private ClusterProbe() {
    }

    static Findings probe(ClusterClient cluster, KubernetesSettings settings) {
        KubernetesClient client = cluster.client();
        String namespace = settings.namespace();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("kubeconfig", cluster.source());
        details.put("server", cluster.server());
        details.put("namespace", namespace);
        VersionInfo version;
        try {
            version = client.getKubernetesVersion();
        } catch (RuntimeException e) {
            int code = Messages.code(e);
            if (code == 401) {
                return unavailable("the apiserver at " + cluster.server() + " refused the credentials of " + cluster.source()
                        + " (HTTP 401: unauthenticated)", List.of("renew the token or certificate in " + cluster.source(),
                        "or point providers.kubernetes.kubeconfig at a kubeconfig that works (kubectl --kubeconfig FILE get pods)"), details);
            }
            return unavailable("the apiserver at " + cluster.server() + " (from " + cluster.source() + ") does not answer: "
                    + Messages.oneLine(e), List.of("start the cluster (scripts/install-deps.sh kubernetes for the test cluster)",
                    "check the server address in " + cluster.source()), details);
        }
        details.put("version", version.getGitVersion());
        List<String> missing = new ArrayList<>();
        try {
            for (String[] need : NEEDED) {
                if (!allowed(client, namespace, need)) {
                    missing.add(need[3] + " " + need[1] + (need[2].isEmpty() ? "" : "/" + need[2]));
                }
            }
        } catch (RuntimeException e) {
            return unavailable("cannot ask the apiserver what this user may do (" + Messages.oneLine(e) + ")",
                    List.of("the cluster must serve authorization.k8s.io/v1 SelfSubjectAccessReview (Kubernetes 1.6 or newer)"), details);
        }
        if (!missing.isEmpty()) {
            return unavailable("the credentials of " + cluster.source() + " may not " + String.join(", ", missing)
                    + " in namespace " + namespace + " (HTTP 403 on those calls)", List.of("bind the Role of docs/providers/kubernetes.md"
                    + " (\"RBAC\") to this user in namespace " + namespace), details);
        }
        String namespaceState = namespaceState(client, namespace);
        if (namespaceState != null) {
            return unavailable(namespaceState, List.of("kubectl create namespace " + namespace,
                    "or set providers.kubernetes.namespace to an existing one"), details);
        }
        String nodes = readyNodes(client, details);
        if (nodes != null) {
            return unavailable(nodes, List.of("kubectl get nodes; kubectl describe node NAME (the kubelet's conditions say why)"),
                    details);
        }
        boolean userKernel = runtimeClassExists(client, settings.userKernelClass(), details);
        String reason = "Kubernetes " + version.getGitVersion() + " at " + cluster.server() + ", namespace " + namespace;
        if (!userKernel) {
            return new Findings(new ProviderHealth(true, reason + "; no RuntimeClass '" + settings.userKernelClass()
                    + "', so only the container isolation class", List.of("install gVisor on the nodes and create a RuntimeClass '"
                    + settings.userKernelClass() + "' (handler runsc) for the user-kernel class; see docs/providers/kubernetes.md"),
                    details), false);
        }
        return new Findings(ProviderHealth.available(reason, details), true);
    }

    static Findings unavailable(String reason, List<String> remedies, Map<String, String> details) {
        return new Findings(ProviderHealth.unavailable(reason, remedies, details), false);
    }

    private static boolean allowed(KubernetesClient client, String namespace, String[] need) {
        SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                .withGroup(need[0]).withResource(need[1]).withSubresource(need[2].isEmpty() ? null : need[2]).withVerb(need[3])
                .withNamespace(namespace).endResourceAttributes().endSpec().build();
        SelfSubjectAccessReview answer = client.authorization().v1().selfSubjectAccessReview().create(review);
        return answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
    }

    /** Null when the namespace exists (or this user may not tell); otherwise why not. */
    private static String namespaceState(KubernetesClient client, String namespace) {
        try {
            var ns = client.namespaces().withName(namespace).get();
            if (ns == null) {
                return "namespace '" + namespace + "' does not exist";
            }
            if (ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase())) {
                return "namespace '" + namespace + "' is being deleted";
            }
            return null;
        } catch (RuntimeException e) {
            return null; // no 'get namespaces': creating the first pod will tell
        }
    }

    /** Null when a node is Ready or this user may not list nodes; otherwise why no pod could run. */
    private static String readyNodes(KubernetesClient client, Map<String, String> details) {
        List<Node> nodes;
        try {
            nodes = client.nodes().list().getItems();
        } catch (RuntimeException e) {
            details.put("nodes", "unknown: " + (Messages.code(e) == 403 ? "no permission to list nodes" : Messages.oneLine(e)));
            return null;
        }
        long ready = nodes.stream().filter(n -> n.getStatus() != null && n.getStatus().getConditions() != null
                && n.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                .count();
        details.put("nodes", ready + " Ready of " + nodes.size());
        return ready > 0 ? null : nodes.isEmpty() ? "the cluster has no nodes" : "no node is Ready (" + nodes.size() + " registered)";
    }

    private static boolean runtimeClassExists(KubernetesClient client, String name, Map<String, String> details) {
        try {
            RuntimeClass found = client.resources(RuntimeClass.class).withName(name).get();
            details.put("runtime-class", found == null ? "no '" + name + "'" : name + " (handler " + found.getHandler() + ")");
            return found != null;
        } catch (RuntimeException e) {
            details.put("runtime-class", "unknown: " + (Messages.code(e) == 403 ? "no permission to get runtimeclasses" : Messages.oneLine(e)));
            return false;
        }
    }
}
