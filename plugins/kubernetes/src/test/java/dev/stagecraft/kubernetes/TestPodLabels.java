package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stagecraft.api.Labels;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Labels on Kubernetes objects: exact in the annotation, label-safe in the labels, names DNS labels. No cluster needed. */
class TestPodLabels {
    private static final String LABEL_VALUE = "([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]";

    @Test
    void everyLabelComesBackExactlyFromTheAnnotation() {
        Labels labels = Labels.of("team a/ü", "env-1", Instant.parse("2026-12-05T17:00:00.123Z"), Duration.ofMinutes(10))
                .with(PodLabels.HOLDER, "host.example/4242/1733400000000").with(Labels.USER_PREFIX + "note", "a value: with spaces");
        var meta = new ObjectMetaBuilder().withName("sc-env-1").withLabels(PodLabels.kubernetesLabels(labels))
                .withAnnotations(PodLabels.annotations(labels)).build();
        assertThat(PodLabels.of(meta)).contains(labels);
        assertThat(meta.getLabels()).containsEntry(Labels.KIND, "kubernetes").containsEntry(Labels.ENVIRONMENT_ID, "env-1")
                .containsEntry(Labels.TTL, "PT10M").containsKeys(Labels.OWNER, PodLabels.HOLDER);
        assertThat(meta.getLabels().values()).allMatch(v -> v.matches(LABEL_VALUE));
    }

    @Test
    void unsafeValuesBecomeDistinctLabelValues() {
        String a = PodLabels.labelValue("host/1/2");
        String b = PodLabels.labelValue("host.1.2-x");
        assertThat(a).matches(LABEL_VALUE).isNotEqualTo(PodLabels.labelValue("host:1:2"));
        assertThat(b).isEqualTo("host.1.2-x");
        assertThat(PodLabels.labelValue("x".repeat(100))).matches(LABEL_VALUE);
        assertThat(PodLabels.labelValue("///")).matches(LABEL_VALUE);
    }

    @Test
    void objectNamesAreDnsLabels() {
        assertThat(PodLabels.objectName("tck-1234")).isEqualTo("sc-tck-1234");
        for (String id : new String[] {"Env_ONE", "a".repeat(80), "sc-abc.def", "-x-"}) {
            assertThat(PodLabels.objectName(id)).matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
        }
        assertThat(PodLabels.objectName("Env_ONE")).isNotEqualTo(PodLabels.objectName("env-one"));
    }

    @Test
    void objectsWithoutTheAnnotationAreNotOurs() {
        assertThat(PodLabels.of(new ObjectMetaBuilder().withName("x").build())).isEmpty();
        assertThat(PodLabels.of(new ObjectMetaBuilder().withName("x").addToAnnotations(PodLabels.ANNOTATION, "{not json").build()))
                .isEmpty();
    }
}
