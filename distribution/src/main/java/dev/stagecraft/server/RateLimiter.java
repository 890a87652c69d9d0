package dev.stagecraft.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** A token bucket per API key: {@code burst} requests at once, refilled at {@code perSecond}. */
final class RateLimiter {
    private final double perSecond;
    private final double burst;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(double perSecond, double burst, LongSupplier nanoTime) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.nanoTime = nanoTime;
    }

    /** Takes one token for {@code key}: 0 when there was one, else the whole seconds until there will be. */
    long take(String key) {
        return buckets.computeIfAbsent(key, k -> new Bucket(burst, nanoTime.getAsLong())).take();
    }

    private final class Bucket {
        private double tokens;
        private long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }

        synchronized long take() {
            long now = nanoTime.getAsLong();
            tokens = Math.min(burst, tokens + (now - at) / 1e9 * perSecond);
            at = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
        }
    }
}
