package dev.stagecraft.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Turns what the client throws into the one line a person reads (no stack trace, no JSON of a Status). */
final class Messages {
    private Messages() {
    }

    /** The most telling message of {@code e} and its causes, on one line. */
    static String oneLine(Throwable e) {
        String best = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
                return k.getStatus().getMessage().replace('\n', ' ');
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                best = t.getMessage();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        String text = best == null ? e.getClass().getSimpleName() : best;
        return text.replace('\n', ' ');
    }

    /** The HTTP status of a client failure, or 0 when it got no answer. */
    static int code(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KubernetesClientException k && k.getCode() > 0) {
                return k.getCode();
            }
        }
        return 0;
    }
}
