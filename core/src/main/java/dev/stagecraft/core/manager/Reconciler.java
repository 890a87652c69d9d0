package dev.stagecraft.core.manager;

import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.StagecraftException;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rebuilds the registry from the backends, which are the source of truth: each healthy provider's
 * {@code discover()} lists what exists; this owner's environments are adopted, idle time counted from their last
 * use by any process (on this host, or recorded on the backend by any host), and those the {@link Reaper} says must go are destroyed (one whose destroy fails is adopted,
 * so that it stays visible and the next reap tries again). A kind counts as reconciled only
 * once its {@code discover()} answered: a failure is reported (an event, and {@link #problems()}) and the kind
 * is tried again on its next use.
 */
final class Reconciler {
    private final ProviderRegistry providers;
    private final String owner;
    private final Map<String, ManagedEnvironment> environments;
    private final Reaper reaper;
    private final EnvironmentEvents events;
    private final Set<String> reconciledKinds = ConcurrentHashMap.newKeySet();
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    Reconciler(ProviderRegistry providers, String owner, Map<String, ManagedEnvironment> environments, Reaper reaper,
               EnvironmentEvents events) {
        this.providers = providers;
        this.owner = owner;
        this.environments = environments;
        this.reaper = reaper;
        this.events = events;
    }

    synchronized void reconcileAll() {
        for (ProviderRegistry.Entry entry : providers.entries()) {
            reconcile(entry);
        }
    }

    synchronized void reconcileOnce(String kind) {
        if (!reconciledKinds.contains(kind)) {
            providers.entry(kind).ifPresent(this::reconcile);
        }
    }

    /** The kinds whose last {@code discover()} failed, one line each: {@code kind: discover failed: why}. */
    List<String> problems() {
        return new TreeMap<>(problems).entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
    }

    /** Why this kind's last {@code discover()} failed; empty when it answered or was not asked. */
    Optional<String> problem(String kind) {
        return Optional.ofNullable(problems.get(kind));
    }

    private void reconcile(ProviderRegistry.Entry entry) {
        if (!providers.health(entry, false).available()) {
            return;
        }
        String kind = entry.provider().kind();
        List<ExecutionEnvironment> found;
        try {
            found = entry.provider().discover();
        } catch (RuntimeException | LinkageError e) {
            String why = "discover failed: " + (e instanceof StagecraftException ? e.getMessage() : e.toString());
            problems.put(kind, why);
            events.emit(EnvironmentEvent.Type.FAILED, "", kind, why + "; tried again on next use");
            return;
        }
        problems.remove(kind);
        reconciledKinds.add(kind);
        for (ExecutionEnvironment environment : found) {
            Labels labels = environment.labels();
            if (!labels.owner().equals(owner) || environments.containsKey(environment.id())) {
                continue;
            }
            ManagedEnvironment managed = new ManagedEnvironment(environment, labels.createdAt());
            Optional<Reaper.Reason> reason = reaper.reasonToGo(managed, reaper.lastUsed(managed));
            // One the backend would not remove is still there: adopted, so it is listed (expired) and tried again.
            if (reason.isPresent() && reaper.destroyQuietly(environment, "reap", reason.get())) {
                continue;
            }
            environments.put(environment.id(), managed);
            events.emit(EnvironmentEvent.Type.ADOPTED, environment, "found on the backend");
        }
    }
}
