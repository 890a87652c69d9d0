package dev.stagecraft.kubernetes;

import dev.stagecraft.api.EnvironmentNotFoundException;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.TtyExecErrorable;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One call of the pod exec API (a websocket through the apiserver to the kubelet) for one environment's container:
 * stdin written once, stdout and stderr capped ({@link CappedSink}), the exit code read from the status channel. At
 * the timeout it calls {@code onTimeout} (which kills the command inside through another exec) and then waits a
 * little for the stream to end.
 */
final class PodExec {
    static final String CONTAINER = "env";
    /** How long a killed command's stream may take to end before it is closed from here. */
    static final Duration AFTER_KILL = Duration.ofSeconds(10);

    /** How one exec ended: its exit code (-1 when none came), its output, and whether the timeout ended it. */
    record Outcome(int exitCode, byte[] stdout, byte[] stderr, boolean truncated, boolean timedOut, Duration took) {
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final String environmentId;
    private final ExecutorService workers;
    private final java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();

    PodExec(KubernetesClient client, String namespace, String pod, String environmentId, ExecutorService workers) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.environmentId = environmentId;
        this.workers = workers;
    }

    /** How many execs this has opened (an agent's own exec is not one of them). */
    int opened() {
        return opened.get();
    }

    /** Runs {@code command} to its end and keeps at most {@code limit} bytes of each stream. */
    Outcome run(List<String> command, byte[] stdin, long limit, OutputListener listener, Duration timeout, Runnable onTimeout) {
        CappedSink out = new CappedSink(limit, listener == null ? null : listener::stdout);
        CappedSink err = new CappedSink(limit, listener == null ? null : listener::stderr);
        long started = System.nanoTime();
        opened.incrementAndGet();
        ContainerResource container = client.pods().inNamespace(namespace).withName(pod).inContainer(CONTAINER);
        TtyExecErrorable streams = (stdin.length > 0 ? container.redirectingInput() : container).writingOutput(out);
        ExecWatch watch;
        try {
            watch = streams.writingError(err).exec(command.toArray(String[]::new));
        } catch (RuntimeException e) {
            throw failure(e);
        }
        try {
            if (stdin.length > 0) {
                feed(watch.getInput(), stdin);
            }
            boolean timedOut = false;
            Integer code;
            try {
                code = watch.exitCode().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                timedOut = true;
                onTimeout.run();
                code = afterKill(watch);
            }
            return new Outcome(code == null ? -1 : code, out.bytes(), err.bytes(), out.truncated() || err.truncated(), timedOut,
                    Duration.ofNanos(System.nanoTime() - started));
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "interrupted while a command ran in '" + environmentId + "'");
        } finally {
            watch.close();
        }
    }

    /**
     * Writes stdin on a worker: the exec's input is sent as the command reads it, and stdin is never closed (the
     * wrapper reads exactly its length, {@link PodScripts#RUN}); a command that ends first makes the write fail, which
     * is fine.
     */
    private void feed(OutputStream input, byte[] stdin) {
        workers.execute(() -> {
            try {
                input.write(stdin);
                input.flush();
            } catch (IOException | RuntimeException ended) {
                // the command ended without reading it all
            }
        });
    }

    private static Integer afterKill(ExecWatch watch) throws InterruptedException {
        try {
            return watch.exitCode().get(AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        }
    }

    private StagecraftException failure(Throwable e) {
        int code = Messages.code(e);
        if (code == 404) {
            return new EnvironmentNotFoundException(environmentId);
        }
        if (code == 401 || code == 403) {
            return new StagecraftException(ErrorCode.PROVIDER_UNAVAILABLE, "the cluster refused an exec in pod " + namespace + "/"
                    + pod + " (HTTP " + code + "): the role needs verb 'create' on 'pods/exec' (docs/providers/kubernetes.md)");
        }
        return new StagecraftException(ErrorCode.EXEC_FAILED, "exec in pod " + namespace + "/" + pod + " of '" + environmentId
                + "' failed: " + Messages.oneLine(e));
    }
}
