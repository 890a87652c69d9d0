package dev.stagecraft.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

/** Which events and statuses say that a pod's container runs ({@link PodStart}). No cluster needed. */
class TestPodStart {
    private static final String UID = "0b7e5c1e-0000-4000-8000-000000000001";

    private static Event event(String reason, String kind, String uid, String fieldPath) {
        return new EventBuilder().withReason(reason).withNewInvolvedObject().withKind(kind).withUid(uid)
                .withFieldPath(fieldPath).endInvolvedObject().build();
    }

    @Test
    void onlyTheKubeletsStartOfThisPodsOwnContainerCounts() {
        String container = "spec.containers{" + PodExec.CONTAINER + "}";
        assertThat(PodStart.isStart(event("Started", "Pod", UID, container), UID)).isTrue();
        assertThat(PodStart.isStart(event("Started", "Pod", "another-uid", container), UID))
                .as("an earlier pod of the same name").isFalse();
        assertThat(PodStart.isStart(event("Started", "Pod", UID, "spec.containers{sidecar}"), UID)).isFalse();
        assertThat(PodStart.isStart(event("Started", "Pod", UID, "spec.initContainers{" + PodExec.CONTAINER + "}"), UID)).isFalse();
        assertThat(PodStart.isStart(event("Created", "Pod", UID, container), UID)).isFalse();
        assertThat(PodStart.isStart(event("Pulled", "Pod", UID, container), UID)).isFalse();
        assertThat(PodStart.isStart(event("Started", "Node", UID, container), UID)).isFalse();
        assertThat(PodStart.isStart(new EventBuilder().withReason("Started").build(), UID)).isFalse();
        assertThat(PodStart.isStart(event("Started", "Pod", UID, container), null)).isFalse();
    }

    private static Pod withContainer(ContainerStatus status) {
        return new PodBuilder().withNewStatus().withPhase("Pending").addToContainerStatuses(status).endStatus().build();
    }

    @Test
    void aStatusCountsOnceItShowsTheContainerRunning() {
        assertThat(PodStart.running(withContainer(new ContainerStatusBuilder().withName(PodExec.CONTAINER).withNewState()
                .withNewRunning().endRunning().endState().build()))).isTrue();
        assertThat(PodStart.running(withContainer(new ContainerStatusBuilder().withName(PodExec.CONTAINER).withNewState()
                .withNewWaiting().withReason("ContainerCreating").endWaiting().endState().build()))).isFalse();
        assertThat(PodStart.running(withContainer(new ContainerStatusBuilder().withName("sidecar").withNewState()
                .withNewRunning().endRunning().endState().build()))).isFalse();
        assertThat(PodStart.running(new PodBuilder().withNewStatus().withPhase("Pending").endStatus().build())).isFalse();
        assertThat(PodStart.running(new Pod())).isFalse();
        assertThat(PodStart.running(null)).isFalse();
    }
}
