package dev.stagecraft.kubernetes;

import dev.stagecraft.api.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Until when each environment is in use, written on its pod as the annotation {@value #ANNOTATION}, so that a manager
 * on another host with the same owner, which cannot see this host's state directory, does not reap a pod that is busy
 * here. A write is a JSON merge patch of that one annotation, made in the background and at most once per
 * {@link #WINDOW} per pod (the latest value wins; a command's deadline is usually replaced by its end before it is
 * written). Every change is written within one window, so the recorded instant plus the window is never earlier than
 * the truth: that sum is what {@link #read} answers. {@link #flush()} writes what is still pending, for a process that
 * is about to exit.
 */
final class PodUseRecords {
    static final String ANNOTATION = Labels.PREFIX + "in-use-until";
    static final Duration WINDOW = Duration.ofSeconds(10);

    private final KubernetesClient client;
    private final Executor workers;
    private final Map<String, Record> records = new ConcurrentHashMap<>();

    /** One pod's state: the value to write, the value written, and when a write last began. */
    private static final class Record {
        final String namespace;
        final String pod;
        Instant desired;
        Instant written;
        long lastWriteNanos = System.nanoTime() - WINDOW.toNanos();
        boolean pending;

        Record(String namespace, String pod) {
            this.namespace = namespace;
            this.pod = pod;
        }
    }

    PodUseRecords(KubernetesClient client, Executor workers) {
        this.client = client;
        this.workers = workers;
    }

    /** Returns at once; the write happens now in the background, or at the end of the pod's current window. */
    void record(String namespace, String pod, Instant until) {
        Record record = records.computeIfAbsent(namespace + "/" + pod, key -> new Record(namespace, pod));
        synchronized (record) {
            record.desired = until;
            if (record.pending) {
                return;
            }
            record.pending = true;
            long wait = record.lastWriteNanos + WINDOW.toNanos() - System.nanoTime();
            Executor when = wait <= 0 ? workers : CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS, workers);
            try {
                when.execute(() -> write(record));
            } catch (RuntimeException rejected) {
                record.pending = false; // shutting down: flush() writes it, or this host's own record holds
            }
        }
    }

    /**
     * The instant up to which the pod was last said to be in use, plus the window; empty when nobody wrote one or the
     * pod is gone. Asks the apiserver, and throws when it cannot answer.
     */
    Optional<Instant> read(String namespace, String pod) {
        Pod current = client.pods().inNamespace(namespace).withName(pod).get();
        if (current == null || current.getMetadata().getAnnotations() == null) {
            return Optional.empty();
        }
        String value = current.getMetadata().getAnnotations().get(ANNOTATION);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(value).plus(WINDOW));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Writes every pending value now, one after the other; failures are left to this host's own record. */
    void flush() {
        records.values().forEach(this::write);
    }

    /** A destroyed pod's record goes; a write still in flight finds the pod gone and changes nothing. */
    void forget(String namespace, String pod) {
        Record record = records.remove(namespace + "/" + pod);
        if (record != null) {
            synchronized (record) {
                record.pending = false;
            }
        }
    }

    private void write(Record record) {
        Instant value;
        synchronized (record) {
            if (!record.pending) {
                return;
            }
            record.pending = false;
            record.lastWriteNanos = System.nanoTime();
            value = record.desired;
            if (value.equals(record.written)) {
                return;
            }
        }
        try {
            client.pods().inNamespace(record.namespace).withName(record.pod).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + value + "\"}}}");
            synchronized (record) {
                record.written = value;
            }
        } catch (RuntimeException e) {
            // best effort: a pod already gone needs no record, and an unreachable apiserver fails the reaper's read too
        }
    }
}
