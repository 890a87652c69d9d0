package dev.stagecraft.core.manager;

import dev.stagecraft.api.EnvironmentNotFoundException;
import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.EnvironmentSpec;
import dev.stagecraft.api.EnvironmentStatus;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.ExecutionEnvironment;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.ResourceUsage;
import dev.stagecraft.api.SecurityLevel;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.config.StagecraftConfig;
import dev.stagecraft.core.selection.Selection;
import dev.stagecraft.core.selection.SelectionPipeline;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Chooses, creates, runs, watches and cleans up environments. The backends are the source of truth: the
 * registry is rebuilt from every provider's {@code discover()} at {@link #start()}, so a manager that died
 * loses nothing, and what it leaves behind is adopted (its owner's, still wanted) or reaped (past its TTL,
 * or leased by a process that is gone).
 */
public final class EnvironmentManager implements AutoCloseable {
    private static final char[] ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final StagecraftConfig config;
    private final ProviderRegistry providers;
    private final SelectionPipeline pipeline;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<String, Managed> environments = new ConcurrentHashMap<>();
    private final List<EnvironmentListener> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private final String self = ProcessIdentity.current();
    private final java.util.Set<String> reconciledKinds = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService reaper;
    private WarmPools pools = new WarmPools(List.of(), spec -> null, id -> { }, message -> { });

    private static final class Managed {
        final ExecutionEnvironment environment;
        volatile Instant lastUsed;
        volatile ResourceUsage lastUsage;

        Managed(ExecutionEnvironment environment, Instant lastUsed) {
            this.environment = environment;
            this.lastUsed = lastUsed;
        }
    }

    public EnvironmentManager(StagecraftConfig config, ProviderRegistry providers, SelectionPipeline pipeline,
                              AuditLog audit, Clock clock) {
        this.config = config;
        this.providers = providers;
        this.pipeline = pipeline;
        this.audit = audit;
        this.clock = clock;
    }

    public void addListener(EnvironmentListener listener) {
        listeners.add(listener);
    }

    /**
     * Reconciles with the backends; when {@code background} is true, starts the reaper thread and fills the
     * configured warm pools (a short-lived process such as the command line passes false).
     */
    public synchronized void start(boolean background) {
        start(background, true);
    }

    /**
     * As {@link #start(boolean)}; with {@code reconcileAll} false, each kind is reconciled only when this manager
     * first creates an environment of that kind (or looks for an id it does not know), so a short-lived process
     * that uses one kind does not pay a round trip to every backend.
     */
    public synchronized void start(boolean background, boolean reconcileAll) {
        if (reconcileAll) {
            reconcile();
        }
        if (background && reaper == null) {
            pools = new WarmPools(config.pools(), this::createPooled, this::destroyPooled,
                    message -> emit(new EnvironmentEvent(EnvironmentEvent.Type.FAILED, "", "", clock.instant(), message)));
            pools.refillLater();
            reaper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "stagecraft-reaper");
                thread.setDaemon(true);
                return thread;
            });
            long every = config.reapInterval().toMillis();
            reaper.scheduleWithFixedDelay(this::reapQuietly, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Rebuilds the registry from every healthy provider; reaps expired and orphaned environments. */
    public synchronized void reconcile() {
        for (ProviderRegistry.Entry entry : providers.entries()) {
            reconcile(entry);
        }
    }

    private synchronized void reconcileOnce(String kind) {
        if (!reconciledKinds.contains(kind)) {
            providers.entry(kind).ifPresent(this::reconcile);
        }
    }

    private void reconcile(ProviderRegistry.Entry entry) {
        if (!providers.health(entry, false).available()) {
            return;
        }
        reconciledKinds.add(entry.provider().kind());
        List<ExecutionEnvironment> found;
        try {
            found = entry.provider().discover();
        } catch (RuntimeException e) {
            return;
        }
        for (ExecutionEnvironment environment : found) {
            Labels labels = environment.labels();
            if (!labels.owner().equals(config.owner()) || environments.containsKey(environment.id())) {
                continue;
            }
            Optional<String> reason = reapReason(labels, labels.createdAt());
            if (reason.isPresent()) {
                destroyQuietly(environment, "reap", reason.get());
                continue;
            }
            environments.put(environment.id(), new Managed(environment, labels.createdAt()));
            emit(EnvironmentEvent.Type.ADOPTED, environment, "found on the backend");
        }
    }

    public Selection select(EnvironmentRequirement requirement) {
        return pipeline.select(requirement, providers.candidates());
    }

    /** Selects, creates and returns a lease; the environment is destroyed when the lease closes or this process dies. */
    public Lease acquire(EnvironmentRequirement requirement) {
        return acquire(select(requirement));
    }

    /**
     * Creates the environment a {@link #select} call chose and returns a lease on it, or hands out a warm one
     * from a pool of the same profile when the request carries no labels of its own.
     */
    public Lease acquire(Selection selection) {
        String kind = selection.requireChoice();
        if (selection.requirement().labels().isEmpty()) {
            Optional<Managed> warm = pools.take(WarmPools.Profile.of(kind, selection.requirement()))
                    .map(environments::get);
            if (warm.isPresent()) {
                ExecutionEnvironment environment = warm.get().environment;
                warm.get().lastUsed = clock.instant();
                return new Lease(this, environment.id(), environment.kind(), environment.isolation(), selection);
            }
        }
        ExecutionEnvironment environment = create(selection, true, Map.of());
        return new Lease(this, environment.id(), environment.kind(), environment.isolation(), selection);
    }

    /** Ready environments waiting in each warm pool, by pool name. */
    public Map<String, Integer> warmPools() {
        return pools.readyCounts();
    }

    private WarmPools.Made createPooled(dev.stagecraft.core.config.PoolSpec spec) {
        ExecutionEnvironment environment = create(select(spec.requirement()), true, Map.of(WarmPools.POOL_LABEL, spec.name()));
        return new WarmPools.Made(environment.kind(), environment.id());
    }

    private void destroyPooled(String id) {
        Managed managed = environments.remove(id);
        if (managed != null) {
            destroyQuietly(managed.environment, "destroy", "warm pool drained");
        }
    }

    /** Selects and creates an environment that lives until destroyed or past its TTL, whoever calls next. */
    public EnvironmentInfo create(EnvironmentRequirement requirement) {
        return info(environments.get(create(select(requirement), false, Map.of()).id()));
    }

    private ExecutionEnvironment create(Selection selection, boolean leased, Map<String, String> extraLabels) {
        String kind = selection.requireChoice();
        reconcileOnce(kind);
        EnvironmentRequirement requirement = selection.requirement();
        IsolationLevel isolation = selection.chosenIsolation().orElseThrow();
        String id = newId();
        Duration ttl = requirement.ttl().isZero() ? config.defaultTtl() : requirement.ttl();
        Labels labels = Labels.of(config.owner(), id, clock.instant(), ttl)
                .with(Labels.KIND, kind)
                .with(Labels.SECURITY_LEVEL, requirement.securityLevel().label());
        for (Map.Entry<String, String> label : requirement.labels().entrySet()) {
            labels = labels.with(Labels.USER_PREFIX + label.getKey(), label.getValue());
        }
        if (leased) {
            labels = labels.with(ProcessIdentity.HOLDER_LABEL, self);
        }
        for (Map.Entry<String, String> label : extraLabels.entrySet()) {
            labels = labels.with(label.getKey(), label.getValue());
        }
        ProviderRegistry.Entry entry = providers.entry(kind).orElseThrow();
        boolean critical = requirement.securityLevel() == SecurityLevel.CRITICAL;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("owner", config.owner());
        fields.put("isolation", isolation.label());
        fields.put("toolType", requirement.toolType());
        fields.put("labels", requirement.labels());
        audit.record("create", id, kind, requirement.securityLevel().label(), critical, fields);
        ExecutionEnvironment environment;
        try {
            environment = entry.provider().create(new EnvironmentSpec(id, requirement, isolation, labels));
        } catch (RuntimeException e) {
            audit.record("create-failed", id, kind, requirement.securityLevel().label(), critical,
                    Map.of("error", String.valueOf(e.getMessage())));
            emit(new EnvironmentEvent(EnvironmentEvent.Type.FAILED, id, kind, clock.instant(), String.valueOf(e.getMessage())));
            throw e instanceof StagecraftException ? e
                    : new StagecraftException(ErrorCode.PROVISIONING_FAILED, kind + " could not create the environment: " + e, e);
        }
        environments.put(id, new Managed(environment, clock.instant()));
        emit(EnvironmentEvent.Type.CREATED, environment, "isolation " + isolation.label());
        return environment;
    }

    public ExecResult execute(String id, ExecRequest request) {
        return execute(id, request, null);
    }

    /** Runs a command, starting the environment first when it is stopped; streams output when a listener is given. */
    public ExecResult execute(String id, ExecRequest request, OutputListener listener) {
        Managed managed = find(id);
        ExecutionEnvironment environment = managed.environment;
        EnvironmentStatus status = environment.status();
        if (status == EnvironmentStatus.STOPPED) {
            environment.start();
            emit(EnvironmentEvent.Type.STARTED, environment, "started for exec");
        } else if (!status.acceptsExec()) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is " + status
                    + " and cannot run commands");
        }
        managed.lastUsed = clock.instant();
        String level = environment.labels().get(Labels.SECURITY_LEVEL).orElse("");
        boolean critical = level.equals(SecurityLevel.CRITICAL.label());
        audit.record("exec", id, environment.kind(), level, critical, execFields(request));
        emit(EnvironmentEvent.Type.EXEC_STARTED, environment, String.join(" ", request.argv()));
        ExecResult result = listener == null ? environment.execute(request) : environment.execute(request, listener);
        managed.lastUsed = clock.instant();
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("exitCode", result.exitCode());
        outcome.put("termination", result.termination().name());
        outcome.put("durationMs", result.duration().toMillis());
        outcome.put("truncated", result.truncated());
        audit.record("exec-result", id, environment.kind(), level, critical, outcome);
        emit(EnvironmentEvent.Type.EXEC_FINISHED, environment, "exit " + result.exitCode() + " " + result.termination());
        try {
            managed.lastUsage = environment.usage();
        } catch (RuntimeException ignored) {
            // usage is best effort after an exec
        }
        return result;
    }

    private static Map<String, Object> execFields(ExecRequest request) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("argv", request.argv());
        fields.put("envNames", new ArrayList<>(request.env().keySet()));
        fields.put("workingDir", request.workingDir().orElse(""));
        fields.put("timeoutMs", request.timeout().toMillis());
        fields.put("stdinBytes", request.stdin().length);
        return fields;
    }

    public void putFile(String id, String path, byte[] content) {
        Managed managed = find(id);
        managed.lastUsed = clock.instant();
        managed.environment.putFile(path, content);
    }

    public byte[] getFile(String id, String path, long maxBytes) {
        Managed managed = find(id);
        managed.lastUsed = clock.instant();
        return managed.environment.getFile(path, maxBytes);
    }

    public ResourceUsage usage(String id) {
        Managed managed = find(id);
        ResourceUsage usage = managed.environment.usage();
        managed.lastUsage = usage;
        return usage;
    }

    public EnvironmentInfo status(String id) {
        return info(find(id));
    }

    /** Environments of this owner, optionally of one kind and carrying every given user label. */
    public List<EnvironmentInfo> list(Optional<String> kind, Map<String, String> labels) {
        return environments.values().stream()
                .filter(m -> kind.isEmpty() || m.environment.kind().equals(kind.get()))
                .filter(m -> m.environment.labels().userLabels().entrySet().containsAll(labels.entrySet()))
                .map(this::info)
                .sorted(Comparator.comparing(EnvironmentInfo::createdAt).thenComparing(EnvironmentInfo::id))
                .toList();
    }

    public void stop(String id) {
        Managed managed = find(id);
        managed.environment.stop();
        audit.record("stop", id, managed.environment.kind(), level(managed), critical(managed), Map.of());
        emit(EnvironmentEvent.Type.STOPPED, managed.environment, "stopped");
    }

    /** Destroys and forgets the environment; true when it was known, false when no such id exists. */
    public boolean destroy(String id) {
        Managed managed = environments.get(id);
        if (managed == null) {
            managed = rediscover(id).orElse(null);
            if (managed == null) {
                return false;
            }
        }
        managed.environment.destroy();
        environments.remove(id);
        audit.record("destroy", id, managed.environment.kind(), level(managed), critical(managed), Map.of());
        emit(EnvironmentEvent.Type.DESTROYED, managed.environment, "destroyed");
        return true;
    }

    /** One pass of the reaper: destroys environments past their TTL or idle too long. Returns how many. */
    public int reap() {
        int reaped = 0;
        for (Managed managed : List.copyOf(environments.values())) {
            boolean pooled = pools.holds(managed.environment.id());
            // A pooled environment is idle by design: only its TTL counts.
            Optional<String> reason = reapReason(managed.environment.labels(), pooled ? clock.instant() : managed.lastUsed);
            if (reason.isPresent() && managed.environment.status() != EnvironmentStatus.RUNNING) {
                pools.forget(managed.environment.id());
                destroyQuietly(managed.environment, "reap", reason.get());
                environments.remove(managed.environment.id());
                reaped++;
            }
        }
        pools.refillLater();
        return reaped;
    }

    private Optional<String> reapReason(Labels labels, Instant lastUsed) {
        Instant now = clock.instant();
        Duration ttl = labels.ttl();
        if (!ttl.isZero() && labels.createdAt().plus(ttl).isBefore(now)) {
            return Optional.of("ttl " + ttl + " expired");
        }
        Optional<String> holder = labels.get(ProcessIdentity.HOLDER_LABEL);
        if (holder.isPresent() && !holder.get().equals(self) && !ProcessIdentity.alive(holder.get())) {
            return Optional.of("its holder process " + holder.get() + " is gone");
        }
        if (!config.idleTimeout().isZero() && lastUsed.plus(config.idleTimeout()).isBefore(now)) {
            return Optional.of("idle for more than " + config.idleTimeout());
        }
        return Optional.empty();
    }

    private void reapQuietly() {
        try {
            reap();
        } catch (RuntimeException ignored) {
            // the next pass tries again
        }
    }

    private void destroyQuietly(ExecutionEnvironment environment, String action, String reason) {
        try {
            environment.destroy();
            String level = environment.labels().get(Labels.SECURITY_LEVEL).orElse("");
            audit.record(action, environment.id(), environment.kind(), level,
                    level.equals(SecurityLevel.CRITICAL.label()), Map.of("reason", reason));
            emit(EnvironmentEvent.Type.REAPED, environment, reason);
        } catch (RuntimeException e) {
            emit(EnvironmentEvent.Type.FAILED, environment, "reap failed: " + e.getMessage());
        }
    }

    private Managed find(String id) {
        Managed managed = environments.get(id);
        if (managed != null) {
            return managed;
        }
        return rediscover(id).orElseThrow(() -> new EnvironmentNotFoundException(id));
    }

    /** Looks for an environment created by another process since {@link #reconcile()}. */
    private Optional<Managed> rediscover(String id) {
        reconcile();
        return Optional.ofNullable(environments.get(id));
    }

    private EnvironmentInfo info(Managed managed) {
        ExecutionEnvironment environment = managed.environment;
        Instant created = environment.createdAt();
        return new EnvironmentInfo(environment.id(), environment.kind(), environment.isolation(), environment.status(),
                created, Duration.between(created, clock.instant()), environment.labels().ttl(), environment.labels(),
                Optional.ofNullable(managed.lastUsage));
    }

    private static String level(Managed managed) {
        return managed.environment.labels().get(Labels.SECURITY_LEVEL).orElse("");
    }

    private static boolean critical(Managed managed) {
        return level(managed).equals(SecurityLevel.CRITICAL.label());
    }

    private String newId() {
        char[] id = new char[10];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_ALPHABET[random.nextInt(ID_ALPHABET.length)];
        }
        return "sc-" + new String(id);
    }

    private void emit(EnvironmentEvent.Type type, ExecutionEnvironment environment, String detail) {
        emit(new EnvironmentEvent(type, environment.id(), environment.kind(), clock.instant(), detail));
    }

    private void emit(EnvironmentEvent event) {
        for (EnvironmentListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException ignored) {
                // a listener never breaks the caller
            }
        }
    }

    /** Stops the reaper and destroys the environments leased by this process. Others are left to live. */
    @Override
    public synchronized void close() {
        pools.close();
        if (reaper != null) {
            reaper.shutdownNow();
            reaper = null;
        }
        for (Managed managed : List.copyOf(environments.values())) {
            if (managed.environment.labels().get(ProcessIdentity.HOLDER_LABEL).filter(self::equals).isPresent()) {
                destroyQuietly(managed.environment, "destroy", "manager closed");
                environments.remove(managed.environment.id());
            }
        }
    }
}
