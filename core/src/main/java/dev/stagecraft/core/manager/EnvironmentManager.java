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
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.config.PoolSpec;
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
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Chooses, creates, runs, watches and cleans up environments. The backends are the source of truth: the
 * registry is rebuilt from every provider's {@code discover()} at {@link #start()} by the {@link Reconciler}, so
 * a manager that died loses nothing; the {@link Reaper} destroys what must go. Every action is audited.
 */
public final class EnvironmentManager implements AutoCloseable {
    private static final char[] ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private final StagecraftConfig config;
    private final ProviderRegistry providers;
    private final SelectionPipeline pipeline;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<String, ManagedEnvironment> environments = new ConcurrentHashMap<>();
    private final EnvironmentEvents events;
    private final SecureRandom random = new SecureRandom();
    private final String self = ProcessIdentity.current();
    private final LastUse lastUse;
    private final Reaper reaper;
    private final Reconciler reconciler;
    private WarmPools pools = new WarmPools(List.of(), spec -> null, id -> { }, message -> { });

    public EnvironmentManager(StagecraftConfig config, ProviderRegistry providers, SelectionPipeline pipeline,
                              AuditLog audit, Clock clock) {
        this.config = config;
        this.providers = providers;
        this.pipeline = pipeline;
        this.audit = audit;
        this.clock = clock;
        this.events = new EnvironmentEvents(clock);
        this.lastUse = new LastUse(config.stateDirectory());
        this.reaper = new Reaper(config, clock, self, environments, lastUse, audit, events);
        this.reconciler = new Reconciler(providers, config.owner(), environments, reaper, events);
    }

    public void addListener(EnvironmentListener listener) {
        events.add(listener);
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
        if (background && !reaper.inBackground()) {
            pools = new WarmPools(config.pools(), this::createPooled, this::destroyPooled,
                    message -> events.emit(EnvironmentEvent.Type.FAILED, "", "", message));
            pools.refillLater();
            reaper.runInBackground(this::reap);
        }
    }

    /** Rebuilds the registry from every healthy provider; reaps expired, orphaned and idle environments. */
    public void reconcile() {
        reconciler.reconcileAll();
    }

    /**
     * The kinds whose last {@code discover()} failed, one line each ({@code kind: discover failed: why}); such a
     * kind is asked again on its next use. Empty when every backend answered.
     */
    public List<String> reconcileProblems() {
        return reconciler.problems();
    }

    /** Why this kind's last {@code discover()} failed ({@code discover failed: why}); empty when it answered. */
    public Optional<String> reconcileProblem(String kind) {
        return reconciler.problem(kind);
    }

    /** Chooses a kind for {@code requirement}, with the configuration's default allowlist where it states none. */
    public Selection select(EnvironmentRequirement requirement) {
        Selection selection = pipeline.select(config.withDefaults(requirement), providers.candidates());
        events.emit(EnvironmentEvent.Type.SELECTED, "", selection.chosenKind().orElse(""),
                selection.chosenKind().isPresent() ? "selected" : "nothing fits");
        return selection;
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
        return acquire(selection, Map.of());
    }

    /**
     * As {@link #acquire(Selection)}, writing {@code systemLabels} (keys under {@link Labels#PREFIX}, which a
     * requirement's own labels cannot reach) on a newly made environment, e.g. the tenant a server made it for. A
     * warm environment is still handed out when the requirement has no labels: it lives only as long as the lease.
     */
    public Lease acquire(Selection selection, Map<String, String> systemLabels) {
        String kind = selection.requireChoice();
        if (selection.requirement().labels().isEmpty()) {
            WarmPools.Taken taken = pools.take(WarmPools.Profile.of(kind, selection.requirement()));
            taken.pool().ifPresent(pool -> events.emit(taken.id().isPresent() ? EnvironmentEvent.Type.POOL_HIT
                    : EnvironmentEvent.Type.POOL_MISS, "", kind, pool));
            Optional<ManagedEnvironment> warm = taken.id().map(environments::get);
            if (warm.isPresent()) {
                used(warm.get());
                return lease(warm.get().environment, selection);
            }
        }
        return lease(create(selection, true, checkedSystemLabels(systemLabels)), selection);
    }

    private Lease lease(ExecutionEnvironment environment, Selection selection) {
        return new Lease(this, environment.id(), environment.kind(), environment.isolation(), selection);
    }

    /** Ready environments waiting in each warm pool, by pool name. */
    public Map<String, Integer> warmPools() {
        return pools.readyCounts();
    }

    private WarmPools.Made createPooled(PoolSpec spec) {
        ExecutionEnvironment environment = create(select(spec.requirement()), true, Map.of(WarmPools.POOL_LABEL, spec.name()));
        return new WarmPools.Made(environment.kind(), environment.id());
    }

    private void destroyPooled(String id) {
        ManagedEnvironment managed = environments.remove(id);
        if (managed != null) {
            reaper.destroyQuietly(managed.environment, "destroy",
                    new Reaper.Reason(EnvironmentEvent.POOL_DRAINED, "warm pool drained"));
        }
    }

    /** Selects and creates an environment that lives until destroyed or past its TTL, whoever calls next. */
    public EnvironmentInfo create(EnvironmentRequirement requirement) {
        return create(requirement, Map.of());
    }

    /** As {@link #create(EnvironmentRequirement)}, with {@code systemLabels} as {@link #acquire(Selection, Map)} takes them. */
    public EnvironmentInfo create(EnvironmentRequirement requirement, Map<String, String> systemLabels) {
        return create(select(requirement), systemLabels);
    }

    /**
     * Creates the environment a {@link #select} call chose (NO_PROVIDER when it chose nothing), for a caller that
     * keeps the selection, e.g. to show its explanation or to check a quota against it first.
     */
    public EnvironmentInfo create(Selection selection, Map<String, String> systemLabels) {
        return info(environments.get(create(selection, false, checkedSystemLabels(systemLabels)).id()));
    }

    /**
     * The CPUs, memory and GPUs the environment a {@link #select} call chose would be held to, as its provider says
     * ({@link dev.stagecraft.api.EnvironmentProvider#limitsFor}), before anything is made.
     */
    public Resources limitsFor(Selection selection) {
        return providers.entry(selection.requireChoice()).orElseThrow().provider().limitsFor(selection.requirement());
    }

    private static Map<String, String> checkedSystemLabels(Map<String, String> labels) {
        for (String key : labels.keySet()) {
            if (!key.startsWith(Labels.PREFIX) || key.startsWith(Labels.USER_PREFIX)) {
                throw new IllegalArgumentException("a system label must start with " + Labels.PREFIX
                        + " and not " + Labels.USER_PREFIX + ": " + key);
            }
        }
        return labels;
    }

    private ExecutionEnvironment create(Selection selection, boolean leased, Map<String, String> extraLabels) {
        String kind = selection.requireChoice();
        reconciler.reconcileOnce(kind);
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
        AuditLog.Subject subject = new AuditLog.Subject(id, kind, requirement.securityLevel().label(), config.owner());
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("isolation", isolation.label());
        fields.put("toolType", requirement.toolType());
        fields.put("labels", requirement.labels());
        audit.record("create", subject, "started", fields);
        ExecutionEnvironment environment;
        long started = System.nanoTime();
        try {
            environment = entry.provider().create(new EnvironmentSpec(id, requirement, isolation, labels));
        } catch (RuntimeException e) {
            audit.record("create-result", subject, "failed", Map.of("error", String.valueOf(e.getMessage())));
            events.emit(EnvironmentEvent.Type.FAILED, id, kind, String.valueOf(e.getMessage()));
            throw e instanceof StagecraftException ? e
                    : new StagecraftException(ErrorCode.PROVISIONING_FAILED, kind + " could not create the environment: " + e, e);
        }
        audit.record("create-result", subject, "ok", Map.of());
        environments.put(id, new ManagedEnvironment(environment, clock.instant()));
        events.emitTimed(EnvironmentEvent.Type.CREATED, environment, "isolation " + isolation.label(),
                Duration.ofNanos(System.nanoTime() - started));
        return environment;
    }

    public ExecResult execute(String id, ExecRequest request) {
        return execute(id, request, null);
    }

    /** Runs a command, starting the environment first when it is stopped; streams output when a listener is given. */
    public ExecResult execute(String id, ExecRequest request, OutputListener listener) {
        ManagedEnvironment managed = find(id);
        ExecutionEnvironment environment = managed.environment;
        EnvironmentStatus status = environment.status();
        if (status == EnvironmentStatus.STOPPED) {
            audited(managed, "start", Map.of("reason", "exec"), () -> {
                environment.start();
                return null;
            }, started -> Map.of());
            events.emit(EnvironmentEvent.Type.STARTED, environment, "started for exec");
        } else if (!status.acceptsExec()) {
            throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is " + status
                    + " and cannot run commands");
        }
        // Other processes cannot see that a command runs here: until it ends, the last use says "up to its timeout".
        used(managed, clock.instant().plus(request.timeout()));
        AuditLog.Subject subject = AuditLog.Subject.of(environment);
        audit.record("exec", subject, "started", execFields(request));
        events.emit(EnvironmentEvent.Type.EXEC_STARTED, environment, String.join(" ", request.argv()));
        ExecResult result;
        long started = System.nanoTime();
        try {
            result = listener == null ? environment.execute(request) : environment.execute(request, listener);
        } catch (RuntimeException e) {
            used(managed);
            audit.record("exec-result", subject, "failed", Map.of("error", String.valueOf(e.getMessage())));
            throw e;
        }
        used(managed);
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("exitCode", result.exitCode());
        outcome.put("termination", result.termination().name());
        outcome.put("durationMs", result.duration().toMillis());
        outcome.put("truncated", result.truncated());
        audit.record("exec-result", subject, "ok", outcome);
        events.emitTimed(EnvironmentEvent.Type.EXEC_FINISHED, environment, "exit " + result.exitCode() + " "
                + result.termination(), Duration.ofNanos(System.nanoTime() - started));
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
        ManagedEnvironment managed = find(id);
        used(managed);
        audited(managed, "put-file", Map.of("path", path, "bytes", content.length), () -> {
            managed.environment.putFile(path, content);
            return null;
        }, done -> Map.of());
    }

    public byte[] getFile(String id, String path, long maxBytes) {
        ManagedEnvironment managed = find(id);
        used(managed);
        return audited(managed, "get-file", Map.of("path", path, "maxBytes", maxBytes),
                () -> managed.environment.getFile(path, maxBytes), content -> Map.of("bytes", content.length));
    }

    public ResourceUsage usage(String id) {
        ManagedEnvironment managed = find(id);
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
        ManagedEnvironment managed = find(id);
        audited(managed, "stop", Map.of(), () -> {
            managed.environment.stop();
            return null;
        }, stopped -> Map.of());
        events.emit(EnvironmentEvent.Type.STOPPED, managed.environment, "stopped");
    }

    /** Starts a stopped environment again, its workspace as it was left; a running one is left as it is. */
    public void start(String id) {
        ManagedEnvironment managed = find(id);
        if (managed.environment.status().acceptsExec()) {
            return;
        }
        audited(managed, "start", Map.of("reason", "request"), () -> {
            managed.environment.start();
            return null;
        }, started -> Map.of());
        used(managed);
        events.emit(EnvironmentEvent.Type.STARTED, managed.environment, "started");
    }

    /**
     * Destroys and forgets the environment; true when it was known, false when no such id exists. A backend
     * that fails to destroy it throws, and the environment stays known so a later call can try again.
     */
    public boolean destroy(String id) {
        ManagedEnvironment managed = environments.get(id);
        if (managed == null) {
            managed = rediscover(id).orElse(null);
            if (managed == null) {
                return false;
            }
        }
        ExecutionEnvironment environment = managed.environment;
        audited(managed, "destroy", Map.of(), () -> {
            environment.destroy();
            return null;
        }, destroyed -> Map.of());
        environments.remove(id);
        lastUse.forget(id);
        events.emit(EnvironmentEvent.Type.DESTROYED, environment, "destroyed");
        return true;
    }

    /** One pass of the reaper: destroys environments past their TTL, orphaned, or idle too long. Returns how many. */
    public int reap() {
        return reaper.reap(pools);
    }

    /** Runs one action and audits its outcome ({@code ok} with {@code after}'s fields, or {@code failed} and why). */
    private <T> T audited(ManagedEnvironment managed, String action, Map<String, Object> fields, Supplier<T> work,
                          Function<T, Map<String, Object>> after) {
        AuditLog.Subject subject = AuditLog.Subject.of(managed.environment);
        Map<String, Object> record = new LinkedHashMap<>(fields);
        T result;
        try {
            result = work.get();
        } catch (RuntimeException e) {
            record.put("error", String.valueOf(e.getMessage()));
            audit.record(action, subject, "failed", record);
            throw e;
        }
        record.putAll(after.apply(result));
        audit.record(action, subject, "ok", record);
        return result;
    }

    /**
     * Remembers a use here, where other processes on this host see it (see {@link LastUse}), and on the backend for
     * managers on other hosts ({@link ExecutionEnvironment#recordUse}).
     */
    private void used(ManagedEnvironment managed) {
        used(managed, clock.instant());
    }

    /** As {@link #used(ManagedEnvironment)}, telling other processes it stays in use until {@code until}. */
    private void used(ManagedEnvironment managed, Instant until) {
        managed.lastUsed = clock.instant();
        lastUse.record(managed.id(), until);
        try {
            managed.environment.recordUse(until);
        } catch (RuntimeException ignored) {
            // best effort by contract; this host's record still holds
        }
    }

    private ManagedEnvironment find(String id) {
        ManagedEnvironment managed = environments.get(id);
        if (managed != null) {
            return managed;
        }
        return rediscover(id).orElseThrow(() -> new EnvironmentNotFoundException(id));
    }

    /** Looks for an environment created by another process since {@link #reconcile()}. */
    private Optional<ManagedEnvironment> rediscover(String id) {
        reconcile();
        return Optional.ofNullable(environments.get(id));
    }

    private EnvironmentInfo info(ManagedEnvironment managed) {
        ExecutionEnvironment environment = managed.environment;
        Instant created = environment.createdAt();
        Instant now = clock.instant();
        Labels labels = environment.labels();
        return new EnvironmentInfo(environment.id(), environment.kind(), environment.isolation(), environment.status(),
                created, Duration.between(created, now), labels.ttl(), labels, Optional.ofNullable(managed.lastUsage),
                min(reaper.lastUsed(managed), now), Reaper.expiresAt(labels), Reaper.expired(labels, now));
    }

    /** A last use in the future is a command still running: in use now. */
    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private String newId() {
        char[] id = new char[10];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_ALPHABET[random.nextInt(ID_ALPHABET.length)];
        }
        return "sc-" + new String(id);
    }

    /** Stops the reaper and destroys the environments leased by this process. Others are left to live. */
    @Override
    public synchronized void close() {
        pools.close();
        reaper.close();
        for (ManagedEnvironment managed : List.copyOf(environments.values())) {
            if (managed.environment.labels().get(ProcessIdentity.HOLDER_LABEL).filter(self::equals).isPresent()) {
                reaper.destroyQuietly(managed.environment, "destroy",
                        new Reaper.Reason(EnvironmentEvent.MANAGER_CLOSED, "manager closed"));
                environments.remove(managed.id());
            }
        }
    }
}
