package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EgressControl;
import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.ProviderCapabilities;
import dev.stagecraft.api.ProviderContext;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.Settings;
import dev.stagecraft.api.StagecraftException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Environments as pods on a Kubernetes cluster, through fabric8 kubernetes-client over the JDK's HttpClient. One
 * environment is one bare Pod (the restricted security profile, {@link PodManifest}) and a NetworkPolicy that denies
 * its traffic unless the requirement asks for network; commands, files and usage go through the pod exec API
 * ({@link KubernetesEnvironment}). Every object carries the spec's labels, so {@link #discover()} rebuilds everything
 * from the cluster alone.
 *
 * <p>Why a bare Pod and not a one-replica Deployment: an exec goes to a pod either way, so exec latency is the same;
 * a Deployment adds a ReplicaSet and two controller hops before the pod exists (slower cold start), and on a pod's death
 * it would make a fresh pod with an empty workspace under the same environment id, which is worse than the ERROR status
 * a dead bare pod reports.
 */
public final class KubernetesProvider implements EnvironmentProvider {
    public static final String KIND = "kubernetes";

    private final ExecutorService workers = Executors.newCachedThreadPool(daemon());
    private volatile KubernetesSettings settings;
    private volatile ClusterClient cluster;
    private volatile PodUseRecords uses;
    private volatile boolean userKernel;
    private volatile Map<String, String> environment = System.getenv();

    private static java.util.concurrent.ThreadFactory daemon() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "stagecraft-kubernetes-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void initialize(ProviderContext context) {
        KubernetesSettings parsed = KubernetesSettings.from(context.settings());
        ClusterClient old = cluster;
        this.settings = parsed;
        this.cluster = null;
        if (old != null) {
            uses.flush();
            old.close();
        }
    }

    /** For tests: the process environment the kubeconfig is looked up in ({@code KUBECONFIG}). */
    void useEnvironment(Map<String, String> values) {
        this.environment = Map.copyOf(values);
    }

    private KubernetesSettings settings() {
        if (settings == null) {
            synchronized (this) {
                if (settings == null) {
                    initialize(new ProviderContext("stagecraft", Path.of(System.getProperty("java.io.tmpdir"), "stagecraft-kubernetes"),
                            Settings.empty("providers.kubernetes")));
                }
            }
        }
        return settings;
    }

    /** The cluster's client, made on first use; empty when no credentials are found. */
    private Optional<ClusterClient> cluster() {
        KubernetesSettings s = settings();
        if (cluster == null) {
            synchronized (this) {
                if (cluster == null) {
                    ClusterClient opened = ClusterClient.open(s, environment).orElse(null);
                    if (opened != null) {
                        uses = new PodUseRecords(opened.client(), workers);
                    }
                    cluster = opened;
                }
            }
        }
        return Optional.ofNullable(cluster);
    }

    private ClusterClient requireCluster() {
        return cluster().orElseThrow(() -> new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, noKubeconfig()));
    }

    private static String noKubeconfig() {
        return "no kubeconfig: providers.kubernetes.kubeconfig is not set, KUBECONFIG names no readable file, there is no"
                + " ~/.kube/config, and this is not a pod with a service account";
    }

    @Override
    public ProviderCapabilities describe() {
        KubernetesSettings s = settings();
        EnumSet<IsolationLevel> levels = EnumSet.of(IsolationLevel.CONTAINER);
        if (userKernel) {
            levels.add(IsolationLevel.USER_KERNEL);
        }
        // Every pod has eth0; only a NetworkPolicy the network plugin enforces takes its traffic away. Without the
        // operator's word that it does, the kind is always networked, and selection keeps it from the levels where
        // network is forbidden.
        boolean enforced = s.networkPolicyEnforced();
        EgressControl egress = enforced ? new EgressControl(true, true, false) : EgressControl.NONE;
        return new ProviderCapabilities(KIND, levels, s.startupEstimate(), s.executionEfficiency(), s.costPerHour(), false, true,
                false, Resources.NONE, egress, false, !enforced);
    }

    @Override
    public ProviderHealth probe() {
        KubernetesSettings s;
        Optional<ClusterClient> c;
        try {
            s = settings();
            c = cluster();
        } catch (StagecraftException e) {
            return ProviderHealth.unavailable(e.getMessage(), List.of("fix the configuration key or file it names"), Map.of());
        }
        if (c.isEmpty()) {
            return ProviderHealth.unavailable(noKubeconfig(), List.of("set providers.kubernetes.kubeconfig to a kubeconfig file",
                    "or export KUBECONFIG=/path/to/kubeconfig (the test cluster's: /var/lib/stagecraft/kubernetes/admin.kubeconfig)"),
                    Map.of());
        }
        ClusterProbe.Findings findings = ClusterProbe.probe(c.get(), s);
        userKernel = findings.userKernel();
        ProviderHealth health = findings.health();
        if (!health.available()) {
            return health;
        }
        Map<String, String> details = new java.util.LinkedHashMap<>(health.details());
        details.put("network-policy", s.networkPolicyEnforced()
                ? "enforced, as the operator asserts (providers.kubernetes.network-policy-enforced; not checked here)"
                : "not known to be enforced: every pod has network whatever its NetworkPolicy says, so the kind says it is"
                + " always networked (kept from the levels in selection.features.network-forbidden-at) and networked"
                + " requirements with an egress policy go elsewhere; set network-policy-enforced if the network plugin"
                + " enforces NetworkPolicy");
        return new ProviderHealth(true, health.reason(), health.remedies(), details);
    }

    @Override
    public Resources limitsFor(EnvironmentRequirement requirement) {
        return settings().limitsFor(requirement);
    }

    @Override
    public ExecutionEnvironment create(EnvironmentSpec spec) {
        ClusterClient c = requireCluster();
        return PodCreation.create(spec, settings(), c.client(), workers, new PodRemoval(c.client(), settings().namespace(), workers),
                uses);
    }

    /** Every environment of this kind in the namespace, from the objects' labels ({@link PodDiscovery}). */
    @Override
    public List<ExecutionEnvironment> discover() {
        ClusterClient c = requireCluster();
        try {
            return PodDiscovery.discover(c.client(), settings(), workers, new PodRemoval(c.client(), settings().namespace(), workers),
                    uses);
        } catch (StagecraftException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot list the pods of namespace "
                    + settings().namespace() + " at " + c.server() + ": " + Messages.oneLine(e));
        }
    }

    @Override
    public void close() {
        ClusterClient c = cluster;
        if (c != null) {
            uses.flush(); // a one-shot command line exits next: what it used must be on the pods first
        }
        workers.shutdownNow();
        if (c != null) {
            c.close();
        }
    }
}
