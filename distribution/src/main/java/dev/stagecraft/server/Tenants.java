package dev.stagecraft.server;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.Resources;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.core.manager.EnvironmentInfo;
import dev.stagecraft.core.manager.EnvironmentManager;
import dev.stagecraft.core.manager.Lease;
import dev.stagecraft.core.selection.Selection;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Who owns which environment, and what each tenant may hold ({@link Quotas}). The tenant is a system label on the environment
 * ({@link #LABEL}, out of a requirement's reach), so it survives a restart and reconcile; another tenant's id is
 * answered exactly as an unknown id. Each selection made for a tenant is kept among the {@link RecentSelections}.
 */
final class Tenants {
    static final String LABEL = Labels.PREFIX + "tenant";

    private final EnvironmentManager manager;
    private final Quotas quotas;
    private final RecentSelections recent;

    Tenants(EnvironmentManager manager, ServerSettings settings, Clock clock) {
        this.manager = manager;
        this.quotas = new Quotas(settings, tenant -> list(tenant, Optional.empty(), Map.of()), clock);
        this.recent = new RecentSelections(clock);
    }

    RecentSelections recentSelections() {
        return recent;
    }

    /** The pipeline's decision for {@code requirement}, kept with the tenant and why it was asked ({@code purpose}). */
    Selection select(String tenant, String purpose, EnvironmentRequirement requirement) {
        Selection selection = manager.select(requirement);
        recent.add(tenant, purpose, selection);
        return selection;    }

    /** A leased environment and the share of its tenant's quota it holds: closing destroys it, then frees the share. */
    record TenantLease(Lease lease, Quotas.Reservation share) implements AutoCloseable {
        @Override
        public void close() {
            try {
                lease.close();
            } finally {
                share.close();
            }
        }
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
     * A new environment for {@code tenant}, labelled as its own and with what it is made with, within its quota:
     * the requirement's own amounts are checked first (so a request over a quota is refused even when no provider
     * could serve it), then what the chosen provider will give is held while the environment is made.
     */
    EnvironmentInfo create(String tenant, EnvironmentRequirement requirement) {
        quotas.check(tenant, requirement.resources());
        Selection selection = select(tenant, "create", requirement);
        Resources made = manager.limitsFor(selection);
        try (Quotas.Reservation share = quotas.reserve(tenant, made, selection.requireChoice())) {
            return manager.create(selection, labels(tenant, made));
        }
    }

    /** A leased environment for one run, checked and held as {@link #create} does until the lease closes. */
    TenantLease lease(String tenant, EnvironmentRequirement requirement) {
        quotas.check(tenant, requirement.resources());
        Selection selection = select(tenant, "run", requirement);
        Resources made = manager.limitsFor(selection);
        Quotas.Reservation share = quotas.reserve(tenant, made, selection.requireChoice());
        try {
            Lease lease = manager.acquire(selection, labels(tenant, made));
            share.holds(lease.id());
            return new TenantLease(lease, share);
        } catch (RuntimeException e) {
            share.close();
            throw e;
        }
    }

    private static Map<String, String> labels(String tenant, Resources made) {
        Map<String, String> labels = new TreeMap<>(Quotas.labels(made));
        labels.put(LABEL, tenant);
        return labels;
    }
}
