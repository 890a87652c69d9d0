package dev.stagecraft.docker;

import java.time.Instant;
import java.util.Locale;

/**
 * Whether the Engine reported an out-of-memory kill in a container since a given instant: its {@code oom} events
 * ({@code GET /events} with {@code since}, {@code until} and filters, which returns at once). The Engine emits one
 * for every kill by the container cgroup's OOM killer, with runc and with runsc alike.
 */
final class OomEvents {
    private OomEvents() {
    }

    /**
     * True when an {@code oom} event of {@code containerId} is dated at or after {@code since}; false also on errors.
     * With {@code lookAgain} an empty answer is asked once more 100 ms later, since the event may trail the exec's end.
     */
    static boolean seen(Engine engine, String containerId, Instant since, boolean lookAgain) {
        String filters = "{\"container\":[\"" + containerId + "\"],\"event\":[\"oom\"]}";
        for (int attempt = 0; attempt < (lookAgain ? 2 : 1); attempt++) {
            String path = "/events?since=" + seconds(since.minusMillis(1)) + "&until=" + seconds(Instant.now())
                    + "&filters=" + Engine.encode(filters);
            try {
                if (engine.getText(path, 1 << 20).contains("\"oom\"")) {
                    return true;
                }
            } catch (RuntimeException e) {
                return false;
            }
            // The event may trail the exec's end by a moment.
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
        }
        return false;
    }

    private static String seconds(Instant instant) {
        return String.format(Locale.ROOT, "%d.%09d", instant.getEpochSecond(), instant.getNano());
    }
}
