package dev.stagecraft.docker;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import dev.stagecraft.api.EgressPolicy;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.StagecraftException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The environments of this kind that the Engine holds, rebuilt from the labels of their containers and volumes for
 * {@link DockerProvider#discover()}, plus the ones this process made (so that discover hands back the same objects).
 * Reaps what a failed create left behind.
 */
final class LabelledContainers {
    private final Map<String, DockerEnvironment> known = new ConcurrentHashMap<>();
    private final ExecutorService workers;
    private final ScheduledExecutorService timers;

    LabelledContainers(ExecutorService workers, ScheduledExecutorService timers) {
        this.workers = workers;
        this.timers = timers;
    }

    /** An environment this process made. */
    void remember(DockerEnvironment env) {
        known.put(env.id(), env);
    }

    /**
     * Every environment of this kind that the Engine holds, from the labels of its containers (running or not) and of
     * its workspace volumes. A labelled volume without a container (a create that died between the two, or a
     * container removed by hand) is returned as a pseudo-environment when it names a holder process, so the manager's
     * holder rule reaps it (or adopts it while the holder lives: its handle addresses the container by name, so it
     * turns into the real one once that exists); without a holder it is removed here once it is older than
     * {@link DockerSettings#orphanGrace()}, and left alone before (a create may be in progress).
     */
    List<ExecutionEnvironment> discover(DockerSettings s, Engine e, AgentLocks locks) {
        // Volumes first: a container created between the two listings is then seen with its volume.
        List<InspectVolumeResponse> volumes = e.call(ErrorCode.PROVIDER_UNAVAILABLE, "cannot list volumes", () -> {
            List<InspectVolumeResponse> listed = e.client().listVolumesCmd().withFilter("label", List.of(Labels.OWNER)).exec().getVolumes();
            return listed == null ? List.<InspectVolumeResponse>of() : listed;
        });
        List<Container> containers = e.call(ErrorCode.PROVIDER_UNAVAILABLE, "cannot list containers",
                () -> e.client().listContainersCmd().withShowAll(true).withLabelFilter(List.of(Labels.OWNER)).exec());
        List<ExecutionEnvironment> found = new ArrayList<>();
        Map<String, Boolean> seen = new TreeMap<>();
        Instant now = Instant.now();
        for (Container c : containers) {
            Map<String, String> all = c.getLabels() == null ? Map.of() : c.getLabels();
            String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
            if (!ours(all) || "removing".equals(c.getState())) {
                continue;
            }
            seen.put(id, true);
            if ("created".equals(c.getState()) && !known.containsKey(id)
                    && DockerEnvironment.publicLabels(all).get(DockerProvider.HOLDER_LABEL).isEmpty()) {
                reapNeverStarted(e, s, c, all, now);
                continue;
            }
            DockerEnvironment existing = known.get(id);
            if (existing != null && existing.containerId().equals(c.getId())) {
                found.add(existing);
                continue;
            }
            DockerEnvironment env = new DockerEnvironment(id, c.getId(), all.getOrDefault(DockerEnvironment.VOLUME_LABEL, ""),
                    DockerEnvironment.publicLabels(all), isolationOf(all), agentPath(all), e, s, workers, timers, locks);
            // Its rules, if it runs, were loaded when this provider started it; a later start loads them again.
            EgressPolicy egress = ContainerFirewall.policyOf(all);
            if (egress != null) {
                env.egress(egress);
            }
            known.put(id, env);
            found.add(env);
        }
        for (InspectVolumeResponse v : volumes) {
            Map<String, String> all = v.getLabels() == null ? Map.of() : v.getLabels();
            String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
            if (!ours(all) || seen.containsKey(id) || v.getName() == null) {
                continue;
            }
            Labels labels = DockerEnvironment.publicLabels(all);
            if (labels.get(DockerProvider.HOLDER_LABEL).isPresent()) {
                seen.put(id, true);
                DockerEnvironment existing = known.get(id);
                if (existing != null && existing.containerId().equals(DockerEnvironment.containerName(id))) {
                    found.add(existing);
                    continue;
                }
                DockerEnvironment env = new DockerEnvironment(id, DockerEnvironment.containerName(id), v.getName(), labels,
                        isolationOf(all), agentPath(all), e, s, workers, timers, locks);
                known.put(id, env);
                found.add(env);
            } else if (labels.createdAt().plus(s.orphanGrace()).isBefore(now)) {
                try {
                    ContainerRemoval.removeContainerAndVolume(e, DockerEnvironment.containerName(id), v.getName());
                } catch (RuntimeException ignored) {
                    // in use again, or the Engine is busy: the next discover tries again
                }
            }
        }
        known.keySet().removeIf(id -> !seen.containsKey(id));
        return found;
    }

    /**
     * A container that was made but never started (state {@code created}) and names no holder: every create starts its
     * container, and removes it when the start fails, so this is an {@code env create} that failed on the client side
     * after the Engine had made the container (a timeout, a crash, a lost connection), or one still in progress. It
     * is left alone, and not listed, for {@link DockerSettings#orphanGrace()} after it was made, then removed with its
     * volume. One that names a holder is listed like any other: the manager's holder rule reaps it as soon as that
     * process is gone, and leaves it to a create in progress while it lives.
     */
    private static void reapNeverStarted(Engine e, DockerSettings s, Container c, Map<String, String> all, Instant now) {
        Instant made = Instant.ofEpochSecond(c.getCreated() == null ? 0 : c.getCreated());
        Instant labelled = new Labels(all).createdAt();
        Instant newest = made.isAfter(labelled) ? made : labelled;
        if (newest.plus(s.orphanGrace()).isBefore(now)) {
            try {
                ContainerRemoval.removeContainerAndVolume(e, c.getId(), all.getOrDefault(DockerEnvironment.VOLUME_LABEL, ""));
            } catch (RuntimeException ignored) {
                // started or removed meanwhile, or the Engine is busy: the next discover looks again
            }
        }
    }

    /**
     * Labels of a resource of this kind that the manager can read: an owner, a well-formed environment id, and a
     * created-at and TTL that parse (a resource whose labels would not parse is left alone rather than break the
     * manager's reconcile).
     */
    private static boolean ours(Map<String, String> all) {
        String kind = all.getOrDefault(Labels.KIND, DockerProvider.KIND);
        String id = all.getOrDefault(Labels.ENVIRONMENT_ID, "");
        if (!DockerProvider.KIND.equals(kind) || !id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            return false;
        }
        Labels labels = new Labels(all);
        if (!labels.isStagecraft()) {
            return false;
        }
        try {
            labels.createdAt();
            labels.ttl();
            return true;
        } catch (RuntimeException unparsable) {
            return false;
        }
    }

    /** The default PATH of the container's exec agent, or null when it was made without one (by an older version). */
    private static String agentPath(Map<String, String> all) {
        return all.get(DockerEnvironment.AGENT_LABEL);
    }

    private static IsolationLevel isolationOf(Map<String, String> all) {
        try {
            return IsolationLevel.parse(all.getOrDefault(DockerEnvironment.ISOLATION_LABEL, "container"));
        } catch (StagecraftException ex) {
            return IsolationLevel.CONTAINER;
        }
    }
}
