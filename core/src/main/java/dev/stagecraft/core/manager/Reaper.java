package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.Labels;
import dev.stagecraft.core.config.StagecraftConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Decides which environments must go — past their TTL, leased by a process that is gone, or unused longer than
 * {@code idle-timeout} by any process — and destroys them: on each pass of its background thread in a
 * long-running manager, and for the {@link Reconciler} when it finds them on a backend.
 */
final class Reaper implements AutoCloseable {
    private final StagecraftConfig config;
    private final Clock clock;
    private final String self;
    private final Map<String, ManagedEnvironment> environments;
    private final LastUse lastUse;
    private final AuditLog audit;
    private final EnvironmentEvents events;
    private ScheduledExecutorService thread;

    /** Why an environment goes: an {@link EnvironmentEvent#cause() event cause} and the words for people. */
    record Reason(String cause, String text) {
    }

    Reaper(StagecraftConfig config, Clock clock, String self, Map<String, ManagedEnvironment> environments,
           LastUse lastUse, AuditLog audit, EnvironmentEvents events) {
        this.config = config;
        this.clock = clock;
        this.self = self;
        this.environments = environments;
        this.lastUse = lastUse;
        this.audit = audit;
        this.events = events;
    }

    /** Runs {@code pass} every {@code reap-interval} on a daemon thread; a failed pass is retried by the next. */
    synchronized void runInBackground(Runnable pass) {
        if (thread != null) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stagecraft-reaper");
            t.setDaemon(true);
            return t;
        });
        long every = config.reapInterval().toMillis();
        thread.scheduleWithFixedDelay(() -> {
            try {
                pass.run();
            } catch (RuntimeException ignored) {
                // the next pass tries again
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    boolean inBackground() {
        return thread != null;
    }

    /** One pass over the registry. Returns how many were destroyed. */
    int reap(WarmPools pools) {
        int reaped = 0;
        for (ManagedEnvironment managed : List.copyOf(environments.values())) {
            // A pooled environment is idle by design: only its TTL counts.
            Instant lastUsed = pools.holds(managed.id()) ? clock.instant() : lastUsed(managed);
            Optional<Reason> reason = reasonToGo(managed, lastUsed);
            if (reason.isPresent() && managed.environment.status() != EnvironmentStatus.RUNNING) {
                pools.forget(managed.id());
                if (destroyQuietly(managed.environment, "reap", reason.get())) {
                    environments.remove(managed.id());
                    reaped++;
                }
            }
        }
        pools.refillLater();
        return reaped;
    }

    /** The last use by any process, remembered here too. */
    Instant lastUsed(ManagedEnvironment managed) {
        Instant latest = lastUse.latest(managed.id(), managed.lastUsed);
        managed.lastUsed = latest;
        return latest;
    }

    /**
     * Why {@code managed} must go now, if it must. An idle verdict from this host's records is checked against the
     * backend's record of use ({@link ExecutionEnvironment#recordedUse()}), which managers on other hosts write too;
     * when the backend cannot be asked, the environment is kept and the next pass asks again.
     */
    Optional<Reason> reasonToGo(ManagedEnvironment managed, Instant lastUsed) {
        Labels labels = managed.environment.labels();
        Optional<Reason> reason = reason(labels, lastUsed);
        if (reason.isEmpty() || !reason.get().cause().equals(EnvironmentEvent.IDLE)) {
            return reason;
        }
        Optional<Instant> recorded;
        try {
            recorded = managed.environment.recordedUse();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (recorded.isEmpty() || !recorded.get().isAfter(lastUsed)) {
            return reason;
        }
        managed.lastUsed = recorded.get();
        return reason(labels, recorded.get());
    }

    Optional<Reason> reason(Labels labels, Instant lastUsed) {
        Instant now = clock.instant();
        if (expired(labels, now)) {
            return Optional.of(new Reason(EnvironmentEvent.TTL, "ttl " + labels.ttl() + " expired"));
        }
        Optional<String> holder = labels.get(ProcessIdentity.HOLDER_LABEL);
        if (holder.isPresent() && !holder.get().equals(self) && !ProcessIdentity.alive(holder.get())) {
            return Optional.of(new Reason(EnvironmentEvent.ORPHANED, "its holder process " + holder.get() + " is gone"));
        }
        if (!config.idleTimeout().isZero() && lastUsed.plus(config.idleTimeout()).isBefore(now)) {
            return Optional.of(new Reason(EnvironmentEvent.IDLE, "idle for more than " + config.idleTimeout()));
        }
        return Optional.empty();
    }

    static Optional<Instant> expiresAt(Labels labels) {
        return labels.ttl().isZero() ? Optional.empty() : Optional.of(labels.createdAt().plus(labels.ttl()));
    }

    static boolean expired(Labels labels, Instant now) {
        return expiresAt(labels).filter(at -> at.isBefore(now)).isPresent();
    }

    /** Destroys, audits and reports; true when it is gone. A failure is an event and a failed audit record. */
    boolean destroyQuietly(ExecutionEnvironment environment, String action, Reason reason) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("reason", reason.text());
        boolean gone = true;
        try {
            environment.destroy();
            lastUse.forget(environment.id());
        } catch (RuntimeException e) {
            gone = false;
            fields.put("error", String.valueOf(e.getMessage()));
            events.emit(EnvironmentEvent.Type.FAILED, environment, action + " failed: " + e.getMessage());
        }
        try {
            audit.record(action, AuditLog.Subject.of(environment), gone ? "ok" : "failed", fields);
        } catch (RuntimeException e) {
            events.emit(EnvironmentEvent.Type.FAILED, environment, "audit failed: " + e.getMessage());
        }
        if (gone) {
            events.emitCaused(EnvironmentEvent.Type.REAPED, environment, reason.text(), reason.cause());
        }
        return gone;
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
            thread = null;
        }
    }
}
