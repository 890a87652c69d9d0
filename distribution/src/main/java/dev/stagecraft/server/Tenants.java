package dev.stagecraft.server;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.selection.Selection;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Who owns which environment, and how many each tenant may hold. The tenant is a system label on the environment
 * ({@link #LABEL}, out of a requirement's reach), so it survives a restart and reconcile; another tenant's id is
 * answered exactly as an unknown id. Each selection made for a tenant is kept among the {@link RecentSelections}.
 */
final class Tenants {
    static final String LABEL = Labels.PREFIX + "tenant";
    private static final Duration UNKNOWN_WAIT = Duration.ofSeconds(60);

    private final EnvironmentManager manager;
    private final ServerSettings settings;
    private final Clock clock;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final RecentSelections recent;

    Tenants(EnvironmentManager manager, ServerSettings settings, Clock clock) {
        this.manager = manager;
        this.settings = settings;
        this.clock = clock;
        this.recent = new RecentSelections(clock);
    }

    RecentSelections recentSelections() {
        return recent;
    }

    /** The pipeline's decision for {@code requirement}, kept with the tenant and why it was asked ({@code purpose}). */
    Selection select(String tenant, String purpose, EnvironmentRequirement requirement) {
        Selection selection = manager.select(requirement);
        recent.add(tenant, purpose, selection);
        return selection;
    }

    static Map<String, String> labels(String tenant) {
        return Map.of(LABEL, tenant);
    }

    /** The environment when {@code tenant} owns it; NOT_FOUND, worded as for an unknown id, otherwise. */
    EnvironmentInfo owned(String tenant, String id) {
        EnvironmentInfo info = manager.status(id);
        if (!info.labels().get(LABEL).filter(tenant::equals).isPresent()) {
            throw StagecraftException.notFound(id);
        }
        return info;
    }

    /** The tenant's environments carrying every given user label, optionally of one kind. */
    List<EnvironmentInfo> list(String tenant, Optional<String> kind, Map<String, String> userLabels) {
        return manager.list(kind, userLabels).stream()
                .filter(info -> info.labels().get(LABEL).filter(tenant::equals).isPresent())
                .toList();
    }

    /**
     * Makes what {@code create} makes when the tenant is under its quota, one create per tenant at a time so two
     * cannot both take the last place; QUOTA_EXCEEDED (429) with the wait until its first environment expires
     * otherwise.
     */
    <T> T withinQuota(String tenant, Supplier<T> create) {
        synchronized (locks.computeIfAbsent(tenant, t -> new Object())) {
            List<EnvironmentInfo> held = list(tenant, Optional.empty(), Map.of());
            int most = settings.maxEnvironments(tenant);
            if (held.size() >= most) {
                Instant now = clock.instant();
                Duration wait = held.stream().flatMap(info -> info.expiresAt().stream())
                        .map(expires -> Duration.between(now, expires)).min(Duration::compareTo).orElse(UNKNOWN_WAIT);
                throw new ApiException(429, ErrorCode.QUOTA_EXCEEDED, "tenant '" + tenant + "' holds " + held.size()
                        + " environments, its most is " + most + ": delete one or wait until one expires",
                        Math.max(1, wait.toSeconds()));
            }
            return create.get();
        }
    }

    /** A new environment for {@code tenant}, labelled as its own, within its quota. */
    EnvironmentInfo create(String tenant, EnvironmentRequirement requirement) {
        Selection selection = select(tenant, "create", requirement);
        return withinQuota(tenant, () -> manager.create(selection, labels(tenant)));
    }

    /** A leased environment for one run (select, then acquire within the quota); closing the lease destroys it. */
    Lease lease(String tenant, EnvironmentRequirement requirement) {
        Selection selection = select(tenant, "run", requirement);
        return withinQuota(tenant, () -> manager.acquire(selection, labels(tenant)));
    }
}
