package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EgressPolicy;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Resources;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The objects of one environment: a bare Pod and its NetworkPolicy, and where the requirement's options ask for them
 * ({@link PodOptions}) a ClusterIP Service for its exposed ports and an immutable ConfigMap of its config data; all in
 * the configured namespace, all named {@link PodLabels#objectName} and labelled ({@link PodLabels}).
 *
 * <p>The pod holds the Pod Security Standards' <i>restricted</i> profile: runAsNonRoot as uid/gid 1000, fsGroup 1000,
 * seccomp RuntimeDefault, no privilege escalation, every capability dropped, a read-only root with emptyDir volumes (a
 * disk-backed /workspace; tmpfs at /tmp and /dev/shm of {@code tmp-size} each, and a small one of the provider's own
 * for the run files, so that a full /tmp cannot stop commands from starting), no service-account token, no service
 * links, {@code dnsPolicy: Default}. CPU and memory requests equal their limits (a Guaranteed pod). The user-kernel
 * class sets the configured RuntimeClass (gVisor). Exposed ports are declared on the container ({@code p<port>}, TCP);
 * config data is mounted read-only at {@value PodOptions#CONFIG_DIR}, every file mode 0444.
 *
 * <p>The NetworkPolicy denies all ingress but to the exposed ports (from anywhere), and all egress unless the
 * requirement asks for network; then egress goes to the requirement's address allowlist, or anywhere but the denied
 * ranges ({@link EgressPolicy#DENIED_RANGES}). Whether it holds depends on the cluster's network plugin.
 */
final class PodManifest {
    static final long UID = 1000;
    /** The size of the run files' own tmpfs ({@link PodScripts#RUN_DIR}): a page each, so 256 commands at once. */
    static final long RUN_DIR_BYTES = 1L << 20;
    /** The mode of every file of the config volume: read-only for all (uid 1000 reads it through "other"). */
    static final int CONFIG_FILE_MODE = 0444;
    private static final String CONFIG_VOLUME = "config";

    private PodManifest() {
    }

    static ObjectMeta metadata(EnvironmentSpec spec, String namespace) {
        return new ObjectMetaBuilder().withName(PodLabels.objectName(spec.id())).withNamespace(namespace)
                .withLabels(PodLabels.kubernetesLabels(spec.labels())).withAnnotations(PodLabels.annotations(spec.labels()))
                .build();
    }

    static Pod pod(EnvironmentSpec spec, KubernetesSettings settings) {
        PodOptions options = PodOptions.of(spec.requirement());
        Resources limits = settings.limitsFor(spec.requirement());
        Map<String, Quantity> amounts = Map.of("cpu", new Quantity(Math.max(1, Math.round(limits.cpus() * 1000)) + "m"),
                "memory", new Quantity(Long.toString(limits.memoryBytes())));
        String runtimeClass = spec.isolation() == IsolationLevel.USER_KERNEL ? settings.userKernelClass() : null;
        return new PodBuilder().withMetadata(metadata(spec, settings.namespace()))
                .withNewSpec()
                    .withRestartPolicy("Never")
                    .withRuntimeClassName(runtimeClass)
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withDnsPolicy("Default")
                    .withTerminationGracePeriodSeconds(1L)
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true).withRunAsUser(UID).withRunAsGroup(UID).withFsGroup(UID)
                        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                    .endSecurityContext()
                    .addNewContainer()
                        .withName(PodExec.CONTAINER)
                        .withImage(spec.requirement().options().getOrDefault("image", settings.imageFor(spec.requirement().toolType())))
                        .withImagePullPolicy(settings.imagePullPolicy())
                        .withCommand("sh", "-c", PodScripts.MAIN)
                        .withWorkingDir(PodScripts.WORKSPACE)
                        .withNewSecurityContext()
                            .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true).withRunAsNonRoot(true)
                            .withPrivileged(false)
                            .withNewCapabilities().withDrop("ALL").endCapabilities()
                            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                        .endSecurityContext()
                        .withNewResources().withRequests(amounts).withLimits(amounts).endResources()
                        .withPorts(containerPorts(options))
                        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                        .addNewVolumeMount().withName("shm").withMountPath("/dev/shm").endVolumeMount()
                        .addNewVolumeMount().withName("runs").withMountPath(PodScripts.RUN_DIR).endVolumeMount()
                        .addNewVolumeMount().withName("workspace").withMountPath(PodScripts.WORKSPACE).endVolumeMount()
                        .addAllToVolumeMounts(configMounts(options))
                    .endContainer()
                    .addNewVolume().withName("tmp").withEmptyDir(memoryBacked(settings.tmpSizeBytes())).endVolume()
                    .addNewVolume().withName("shm").withEmptyDir(memoryBacked(settings.tmpSizeBytes())).endVolume()
                    .addNewVolume().withName("runs").withEmptyDir(memoryBacked(RUN_DIR_BYTES)).endVolume()
                    .addNewVolume().withName("workspace").withNewEmptyDir()
                        .withSizeLimit(new Quantity(Long.toString(settings.workspaceSizeBytes()))).endEmptyDir().endVolume()
                    .addAllToVolumes(configVolumes(spec, options))
                .endSpec()
                .build();
    }

    /**
     * A tmpfs emptyDir of {@code bytes}: with the kubelet's SizeMemoryBackedVolumes feature (alpha in 1.20, on by
     * default from 1.22) its size is the sizeLimit, so a fill ends in ENOSPC instead of an eviction of the pod. Its
     * pages count against the pod's memory limit.
     */
    private static EmptyDirVolumeSource memoryBacked(long bytes) {
        return new EmptyDirVolumeSourceBuilder().withMedium("Memory").withSizeLimit(new Quantity(Long.toString(bytes))).build();
    }

    private static List<ContainerPort> containerPorts(PodOptions options) {
        return options.ports().stream().map(port -> new ContainerPortBuilder().withName(PodOptions.portName(port))
                .withContainerPort(port).withProtocol("TCP").build()).toList();
    }

    private static List<VolumeMount> configMounts(PodOptions options) {
        return options.hasConfig() ? List.of(new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(PodOptions.CONFIG_DIR)
                .withReadOnly(true).build()) : List.of();
    }

    private static List<Volume> configVolumes(EnvironmentSpec spec, PodOptions options) {
        return options.hasConfig() ? List.of(new VolumeBuilder().withName(CONFIG_VOLUME).withNewConfigMap()
                .withName(PodLabels.objectName(spec.id())).withDefaultMode(CONFIG_FILE_MODE).endConfigMap().build()) : List.of();
    }

    /** The ClusterIP Service of the exposed ports, each forwarded to the same port of the pod; empty when none. */
    static Optional<Service> service(EnvironmentSpec spec, String namespace) {
        PodOptions options = PodOptions.of(spec.requirement());
        if (!options.exposed()) {
            return Optional.empty();
        }
        List<ServicePort> ports = options.ports().stream().map(port -> new ServicePortBuilder().withName(PodOptions.portName(port))
                .withProtocol("TCP").withPort(port).withTargetPort(new IntOrString(port)).build()).toList();
        return Optional.of(new ServiceBuilder().withMetadata(metadata(spec, namespace)).withNewSpec().withType("ClusterIP")
                .withSelector(PodLabels.environmentSelector(spec.id())).withPorts(ports).endSpec().build());
    }

    /** The immutable ConfigMap of the config data; empty when there is none. */
    static Optional<ConfigMap> configMap(EnvironmentSpec spec, String namespace) {
        PodOptions options = PodOptions.of(spec.requirement());
        if (!options.hasConfig()) {
            return Optional.empty();
        }
        return Optional.of(new ConfigMapBuilder().withMetadata(metadata(spec, namespace)).withImmutable(true)
                .withData(options.config()).build());
    }

    /**
     * Whether {@code pod} has the run files' own tmpfs at {@link PodScripts#RUN_DIR}; pods made before it (their run
     * files were in /tmp) cannot run the current {@link PodScripts}.
     */
    static boolean hasRunDir(Pod pod) {
        return pod.getSpec().getContainers().stream().filter(c -> c.getVolumeMounts() != null)
                .flatMap(c -> c.getVolumeMounts().stream())
                .anyMatch(m -> PodScripts.RUN_DIR.equals(m.getMountPath()));
    }

    static NetworkPolicy networkPolicy(EnvironmentSpec spec, String namespace) {
        List<NetworkPolicyPeer> egress = new ArrayList<>();
        if (spec.requirement().network()) {
            List<String> allowed = spec.requirement().egress().allowCidrs();
            if (allowed.isEmpty()) {
                egress.add(peer("0.0.0.0/0", EgressPolicy.DENIED_RANGES.stream().filter(r -> !r.contains(":")).toList()));
                egress.add(peer("::/0", EgressPolicy.DENIED_RANGES.stream().filter(r -> r.contains(":")).toList()));
            } else {
                allowed.forEach(cidr -> egress.add(peer(cidr, List.of())));
            }
        }
        NetworkPolicyBuilder policy = new NetworkPolicyBuilder().withMetadata(metadata(spec, namespace));
        var body = policy.withNewSpec()
                .withNewPodSelector().withMatchLabels(PodLabels.environmentSelector(spec.id())).endPodSelector()
                .withPolicyTypes("Ingress", "Egress");
        if (!egress.isEmpty()) {
            body = body.addNewEgress().withTo(egress).endEgress();
        }
        List<Integer> exposed = PodOptions.of(spec.requirement()).ports();
        if (!exposed.isEmpty()) {
            // no 'from': any pod or address, on these ports alone
            List<NetworkPolicyPort> ports = exposed.stream().map(port -> new NetworkPolicyPortBuilder().withProtocol("TCP")
                    .withPort(new IntOrString(port)).build()).toList();
            body = body.addNewIngress().withPorts(ports).endIngress();
        }
        return body.endSpec().build();
    }

    private static NetworkPolicyPeer peer(String cidr, List<String> except) {
        return new NetworkPolicyPeerBuilder().withIpBlock(new IPBlock(cidr, except)).build();
    }
}
