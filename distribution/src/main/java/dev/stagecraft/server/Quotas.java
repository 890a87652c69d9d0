package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.Labels;
import dev.stagecraft.api.Quantities;
import dev.stagecraft.api.Resources;
import dev.stagecraft.core.manager.EnvironmentInfo;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A tenant's use against its {@link TenantQuota}: its live environments (each charged what its labels say it was
 * made with, {@link #labels}) plus the requests in flight that hold a {@link Reservation}. A check and its
 * reservation happen under the tenant's lock, so two requests cannot both take the last share; the slow work (the
 * provider making an environment) runs outside it.
 */
final class Quotas {
    static final String CPUS = Labels.PREFIX + "cpus";
    static final String MEMORY_BYTES = Labels.PREFIX + "memory-bytes";
    static final String GPUS = Labels.PREFIX + "gpus";
    /** Sums of fractional CPUs are compared with this much give. */
    private static final double SLACK = 1e-9;
    private static final Duration UNKNOWN_WAIT = Duration.ofSeconds(60);
    /** The wait suggested when part of the use is a request in flight (a create or a run), which ends soon. */
    private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(5);

    private final ServerSettings settings;
    private final Function<String, List<EnvironmentInfo>> environments;
    private final Clock clock;
    private final Map<String, List<Reservation>> inFlight = new ConcurrentHashMap<>();

    /** @param environments a tenant's live environments */
    Quotas(ServerSettings settings, Function<String, List<EnvironmentInfo>> environments, Clock clock) {
        this.settings = settings;
        this.environments = environments;
        this.clock = clock;
    }

    /** A share of a tenant's quota held by one request until closed (closing twice is harmless). */
    final class Reservation implements AutoCloseable {
        private final String tenant;
        private final Resources amount;
        private volatile String environmentId = "";

        private Reservation(String tenant, Resources amount) {
            this.tenant = tenant;
            this.amount = amount;
        }

        /** The environment this share stands for: it is not counted a second time by its labels. */
        void holds(String id) {
            environmentId = id;
        }

        @Override
        public void close() {
            List<Reservation> held = inFlight.get(tenant);
            synchronized (held) {
                held.remove(this);
            }
        }
    }

    /** The system labels that record what an environment was made with, so its tenant's use survives a restart. */
    static Map<String, String> labels(Resources made) {
        return Map.of(CPUS, BigDecimal.valueOf(made.cpus()).stripTrailingZeros().toPlainString(),
                MEMORY_BYTES, Long.toString(made.memoryBytes()), GPUS, Integer.toString(made.gpus()));
    }

    /** Refuses, without holding anything, a request whose own amounts already do not fit (before a provider is chosen). */
    void check(String tenant, Resources asked) {
        List<Reservation> held = inFlight.computeIfAbsent(tenant, t -> new ArrayList<>());
        synchronized (held) {
            refuseUnlessFits(tenant, asked, held);
        }
    }

    /**
     * Holds {@code made} (what the chosen provider will give: {@code limitsFor}) against the tenant's quota, or
     * refuses: QUOTA_EXCEEDED (429, with the seconds until a share is likely free) when it does not fit now,
     * INVALID_REQUIREMENT (400) when it never can, or when the provider sets no limit on what the quota caps.
     */
    Reservation reserve(String tenant, Resources made, String kind) {
        TenantQuota quota = settings.quota(tenant);
        if (quota.cpus().isPresent() && made.cpus() <= 0 || quota.memoryBytes().isPresent() && made.memoryBytes() <= 0) {
            String what = made.memoryBytes() <= 0 && quota.memoryBytes().isPresent() ? "memory" : "cpus";
            throw ApiException.badRequest("tenant '" + tenant + "' has a " + what + " quota, and the " + kind
                    + " provider sets no " + what + " limit for this request: state " + what);
        }
        List<Reservation> held = inFlight.computeIfAbsent(tenant, t -> new ArrayList<>());
        synchronized (held) {
            refuseUnlessFits(tenant, made, held);
            Reservation reservation = new Reservation(tenant, made);
            held.add(reservation);
            return reservation;
        }
    }

    private void refuseUnlessFits(String tenant, Resources asked, List<Reservation> reservations) {
        TenantQuota quota = settings.quota(tenant);
        Set<String> reserved = new HashSet<>();
        reservations.forEach(reservation -> reserved.add(reservation.environmentId));
        List<EnvironmentInfo> live = environments.apply(tenant).stream()
                .filter(info -> !reserved.contains(info.id())).toList();
        Resources used = Resources.NONE;
        for (EnvironmentInfo info : live) {
            used = plus(used, charged(info.labels()));
        }
        for (Reservation reservation : reservations) {
            used = plus(used, reservation.amount);
        }
        List<Amount> amounts = List.of(
                new Amount("gpus", used.gpus(), asked.gpus(), quota.gpus().isPresent() ? quota.gpus().getAsInt() : -1,
                        Quotas::number),
                new Amount("memory", used.memoryBytes(), asked.memoryBytes(), quota.memoryBytes().orElse(-1),
                        amount -> Quantities.formatBytes(amount.longValue())),
                new Amount("cpus", used.cpus(), asked.cpus(), quota.cpus().orElse(-1), Quotas::number));
        for (Amount amount : amounts) {
            if (amount.most >= 0 && amount.asked > amount.most + SLACK) {
                throw ApiException.badRequest("tenant '" + tenant + "' may hold " + amount.format(amount.most) + " "
                        + amount.what + " in all; this request asks " + amount.format(amount.asked)
                        + ", so it can never fit: ask for less, or raise the tenant's max-" + amount.what);
            }
        }
        int count = live.size() + reservations.size();
        if (count >= quota.environments()) {
            throw exceeded("tenant '" + tenant + "' holds " + count + " environments, its most is "
                    + quota.environments() + ": delete one or wait until one expires", live, reservations);
        }
        for (Amount amount : amounts) {
            if (amount.most >= 0 && amount.used + amount.asked > amount.most + SLACK) {
                throw exceeded("tenant '" + tenant + "': " + amount.what + " " + amount.format(amount.used) + " of "
                        + amount.format(amount.most) + " in use, this request asks " + amount.format(amount.asked)
                        + ": delete an environment or wait until one expires", live, reservations);
            }
        }
    }

    /** One capped amount: what the tenant uses, what the request asks, its most (negative: no limit). */
    private record Amount(String what, double used, double asked, double most, Function<Double, String> formatter) {
        String format(double value) {
            return formatter.apply(value);
        }
    }

    /** 429 with the seconds until the tenant's first environment expires, or a few when a request in flight holds a share. */
    private ApiException exceeded(String message, List<EnvironmentInfo> live, List<Reservation> reservations) {
        Instant now = clock.instant();
        Optional<Duration> expiry = live.stream().flatMap(info -> info.expiresAt().stream())
                .map(expires -> Duration.between(now, expires)).min(Duration::compareTo);
        Duration wait = expiry.orElse(UNKNOWN_WAIT);
        if (!reservations.isEmpty() && IN_FLIGHT_WAIT.compareTo(wait) < 0) {
            wait = IN_FLIGHT_WAIT;
        }
        return new ApiException(429, ErrorCode.QUOTA_EXCEEDED, message, Math.max(1, wait.toSeconds()));
    }

    /** What an environment's labels say it was made with; nothing for one made before these labels were written. */
    private static Resources charged(Labels labels) {
        try {
            return new Resources(labels.get(CPUS).map(Double::parseDouble).orElse(0.0),
                    labels.get(MEMORY_BYTES).map(Long::parseLong).orElse(0L), 0,
                    labels.get(GPUS).map(Integer::parseInt).orElse(0));
        } catch (RuntimeException e) {
            return Resources.NONE;
        }
    }

    private static Resources plus(Resources a, Resources b) {
        return new Resources(a.cpus() + b.cpus(), a.memoryBytes() + b.memoryBytes(), 0, a.gpus() + b.gpus());
    }

    private static String number(double value) {
        return BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }
}
