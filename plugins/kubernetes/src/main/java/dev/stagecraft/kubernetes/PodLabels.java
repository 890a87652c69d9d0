package dev.stagecraft.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stagecraft.api.Labels;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How an environment's {@link Labels} live on Kubernetes objects. Label values are restricted (63 characters of
 * letters, digits, '-', '_', '.'), and a created-at instant, a holder ({@code host/pid/start}) or a caller's label may
 * hold anything, so every object carries two things:
 * <ul>
 *   <li>the exact labels as one JSON annotation, {@value #ANNOTATION}: the source of truth that {@code discover()}
 *       reads back;</li>
 *   <li>Kubernetes labels for selection: {@value #MANAGED} (always {@code kubernetes}), and the owner, environment
 *       id, holder and TTL under their Stagecraft keys, each value made label-safe ({@link #labelValue}).</li>
 * </ul>
 */
final class PodLabels {
    /** Present on every object this provider makes; its value is the kind. */
    static final String MANAGED = Labels.KIND;
    static final String ANNOTATION = Labels.PREFIX + "labels";
    static final String HOLDER = Labels.PREFIX + "holder";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.List<String> SELECTABLE = java.util.List.of(Labels.OWNER, Labels.ENVIRONMENT_ID,
            HOLDER, Labels.TTL);

    private PodLabels() {
    }

    /** The selector that finds every object of this kind. */
    static Map<String, String> kindSelector() {
        return Map.of(MANAGED, KubernetesProvider.KIND);
    }

    /** The selector that finds every object of one environment. */
    static Map<String, String> environmentSelector(String environmentId) {
        return Map.of(MANAGED, KubernetesProvider.KIND, Labels.ENVIRONMENT_ID, labelValue(environmentId));
    }

    /** The Kubernetes labels of an object of the environment labelled {@code labels}. */
    static Map<String, String> kubernetesLabels(Labels labels) {
        Map<String, String> out = new TreeMap<>();
        out.put(MANAGED, KubernetesProvider.KIND);
        for (String key : SELECTABLE) {
            labels.get(key).ifPresent(v -> out.put(key, labelValue(v)));
        }
        return out;
    }

    static Map<String, String> annotations(Labels labels) {
        try {
            return Map.of(ANNOTATION, JSON.writeValueAsString(labels.values()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("labels cannot be written as JSON", e);
        }
    }

    /** The labels an object carries, from its annotation; empty when it has none or it cannot be read. */
    static Optional<Labels> of(ObjectMeta meta) {
        String json = meta.getAnnotations() == null ? null : meta.getAnnotations().get(ANNOTATION);
        if (json == null) {
            return Optional.empty();
        }
        try {
            Labels labels = new Labels(JSON.readValue(json, new TypeReference<Map<String, String>>() { }));
            return labels.isStagecraft() ? Optional.of(labels) : Optional.empty();
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code value} as a label value: itself where it is one already, else its letters, digits, '-', '_' and '.' (the
     * rest made '.') cut to 50 characters, then '-' and 12 hex digits of its SHA-256, so that two values never meet.
     */
    static String labelValue(String value) {
        if (value.matches("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]") || value.isEmpty()) {
            return value;
        }
        String kept = value.replaceAll("[^-A-Za-z0-9_.]", ".");
        kept = kept.substring(0, Math.min(kept.length(), 50)).replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
        return (kept.isEmpty() ? "x" : kept) + "-" + sha256(value).substring(0, 12);
    }

    /** The object name of an environment: {@code sc-} and its id where that is a DNS label, else made one. */
    static String objectName(String environmentId) {
        String name = "sc-" + environmentId;
        if (name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            return name;
        }
        String kept = environmentId.toLowerCase(Locale.ROOT).replaceAll("[^-a-z0-9]", "-");
        kept = kept.substring(0, Math.min(kept.length(), 40)).replaceAll("^-+|-+$", "");
        return "sc-" + (kept.isEmpty() ? "" : kept + "-") + sha256(environmentId).substring(0, 12);
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
