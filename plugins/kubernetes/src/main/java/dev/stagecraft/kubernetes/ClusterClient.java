package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The one fabric8 client of a provider, made from the first credentials found, in this order: the configured
 * {@code kubeconfig}, the first existing file of {@code KUBECONFIG}, {@code ~/.kube/config}, and inside a pod the
 * service account's token ({@code KUBERNETES_SERVICE_HOST} set and the token file present). Retries are off: a call
 * fails at once and says why, and the provider decides what to do.
 */
final class ClusterClient implements AutoCloseable {
    static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    /** Where the credentials came from, for messages: a file path or "in-cluster service account". */
    private final String source;
    private final KubernetesClient client;

    private ClusterClient(String source, KubernetesClient client) {
        this.source = source;
        this.client = client;
    }

    /** The client, or empty when no credentials were found anywhere. Throws for a kubeconfig that cannot be read. */
    static Optional<ClusterClient> open(KubernetesSettings settings, Map<String, String> environment) {
        Optional<Path> file = kubeconfigFile(settings, environment);
        Config config;
        String source;
        if (file.isPresent()) {
            source = file.get().toString();
            try {
                config = Config.fromKubeconfig(settings.context().orElse(null), new File(source));
            } catch (RuntimeException e) {
                throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot read kubeconfig " + source + ": "
                        + Messages.oneLine(e));
            }
        } else if (environment.containsKey("KUBERNETES_SERVICE_HOST") && Files.isReadable(SERVICE_ACCOUNT_TOKEN)) {
            source = "in-cluster service account";
            config = Config.autoConfigure(null);
        } else {
            return Optional.empty();
        }
        config.setRequestRetryBackoffLimit(0);
        config.setConnectionTimeout(5_000);
        config.setRequestTimeout(30_000);
        return Optional.of(new ClusterClient(source, new KubernetesClientBuilder().withConfig(config).build()));
    }

    /**
     * The kubeconfig to read: the configured one (which must exist), else the first existing file named by
     * {@code KUBECONFIG}, else {@code ~/.kube/config} where it exists.
     */
    static Optional<Path> kubeconfigFile(KubernetesSettings settings, Map<String, String> environment) {
        if (settings.kubeconfig().isPresent()) {
            Path configured = settings.kubeconfig().get();
            if (!Files.isReadable(configured)) {
                throw new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "providers.kubernetes.kubeconfig: "
                        + configured + " does not exist or cannot be read");
            }
            return Optional.of(configured);
        }
        String list = environment.getOrDefault("KUBECONFIG", "");
        for (String entry : list.split(File.pathSeparator)) {
            if (!entry.isBlank() && Files.isReadable(Path.of(entry))) {
                return Optional.of(Path.of(entry));
            }
        }
        Path home = Path.of(System.getProperty("user.home"), ".kube", "config");
        return Files.isReadable(home) ? Optional.of(home) : Optional.empty();
    }

    String source() {
        return source;
    }

    KubernetesClient client() {
        return client;
    }

    /** The apiserver's address, as the credentials name it. */
    String server() {
        return client.getConfiguration().getMasterUrl();
    }

    @Override
    public void close() {
        client.close();
    }
}
