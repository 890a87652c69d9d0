package dev.stagecraft.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One agent ({@link PodScripts#AGENT}) running in a pod, reached through one exec stream that stays open: a command
 * costs a line written to the stream and its framed output read back, not a new exec (a websocket and TLS handshake
 * through the apiserver to the kubelet, and a container runtime exec). Runs one command at a time. Once the stream
 * has ended or failed the session is dead, and every later call says so at once.
 */
final class AgentSession implements AutoCloseable {
    /** How long the agent may take to show that a command began; past it the stream is taken for broken. */
    static final Duration BEGIN_WITHIN = Duration.ofSeconds(10);
    /** The longest request line sent; a longer command goes through an exec of its own. */
    static final int MAX_LINE = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A command's end as the agent framed it. */
    record Ended(int exitCode, boolean timedOut) {
    }

    private final MarkedStream out = new MarkedStream();
    private final MarkedStream err = new MarkedStream();
    private final CompletableFuture<Void> gone = new CompletableFuture<>();
    private final ExecWatch watch;

    private AgentSession(KubernetesClient client, String namespace, String pod) {
        this.watch = client.pods().inNamespace(namespace).withName(pod).inContainer(PodExec.CONTAINER).redirectingInput()
                .writingOutput(out).writingError(err).usingListener(new ExecListener() {
                    @Override
                    public void onFailure(Throwable t, Response failureResponse) {
                        end(t);
                    }

                    @Override
                    public void onClose(int code, String reason) {
                        end(new IOException("the agent's stream closed (" + code + " " + reason + ")"));
                    }
                }).exec("sh", "-c", PodScripts.AGENT, "sh", PodScripts.RUN);
        watch.exitCode().whenComplete((code, t) -> end(new IOException("the agent ended (exit " + code + ")")));
    }

    static AgentSession open(KubernetesClient client, String namespace, String pod) {
        return new AgentSession(client, namespace, pod);
    }

    boolean alive() {
        return !gone.isDone();
    }

    /**
     * Runs RUN's arguments {@code runArgs} (whose stdin count must be {@code stdin.length}) with {@code stdin}, written
     * after the request line by {@code writer} so that a command that never reads it cannot hold this thread past its
     * timeout, and output to {@code stdout} and {@code stderr}; at {@code timeout} calls
     * {@code onTimeout} (which kills the command through another exec) and waits {@code afterKill} for the end.
     *
     * @return the end, or null when the agent is gone before the command began (it did not run: run it elsewhere)
     * @throws IOException when the stream broke after the command began, or never showed it beginning
     */
    Ended run(List<String> runArgs, byte[] stdin, Executor writer, OutputStream stdout, OutputStream stderr, Duration timeout,
              Runnable onTimeout, Duration afterKill) throws IOException, InterruptedException {
        String token = HexFormat.of().formatHex(bytes16());
        CompletableFuture<Integer> outCode = out.expect(token, stdout);
        CompletableFuture<Integer> errCode = err.expect(token, stderr);
        try {
            OutputStream input = watch.getInput();
            input.write(requestLine(token, runArgs));
            input.flush();
            if (stdin.length > 0) {
                writer.execute(() -> {
                    try {
                        input.write(stdin);
                        input.flush();
                    } catch (IOException | RuntimeException e) {
                        end(e); // the agent waits for bytes that will not come: the session is done
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            end(e);
            return null;
        }
        long started = System.nanoTime();
        boolean killed = false;
        try {
            Duration first = timeout.compareTo(BEGIN_WITHIN) < 0 ? timeout : BEGIN_WITHIN;
            try {
                return new Ended(awaitBoth(outCode, errCode, first), false);
            } catch (TimeoutException e) {
                // not begun within BEGIN_WITHIN: the stream is taken for broken; a shorter timeout is a timeout
                if (!out.begun() && first.equals(BEGIN_WITHIN)) {
                    close();
                    throw new IOException("the agent did not begin the command within " + BEGIN_WITHIN.toSeconds() + " s");
                }
            }
            try {
                long left = started + timeout.toNanos() - System.nanoTime();
                return new Ended(awaitBoth(outCode, errCode, Duration.ofNanos(Math.max(0, left))), false);
            } catch (TimeoutException e) {
                killed = true;
                onTimeout.run();
            }
            try {
                return new Ended(awaitBoth(outCode, errCode, afterKill), true);
            } catch (TimeoutException stillRunning) {
                close();
                return new Ended(-1, true);
            }
        } catch (ExecutionException e) {
            if (killed) {
                // the kill could not finish and killed every process inside, the agent with them: still a timeout
                close();
                return new Ended(-1, true);
            }
            if (!out.begun() && unsupported()) {
                return null;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** Whether the agent ended at once because the image lacks what it needs ({@code setsid}): exit 3. */
    boolean unsupported() {
        return watch.exitCode().isDone() && !watch.exitCode().isCompletedExceptionally()
                && Integer.valueOf(3).equals(watch.exitCode().getNow(-1));
    }

    /** Both streams' end markers: stdout's carries the exit code; stderr's says its last bytes arrived too. */
    private static Integer awaitBoth(CompletableFuture<Integer> outCode, CompletableFuture<Integer> errCode, Duration within)
            throws TimeoutException, ExecutionException, InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        Integer code = outCode.get(within.toNanos(), TimeUnit.NANOSECONDS);
        errCode.get(Math.max(0, end - System.nanoTime()) + TimeUnit.SECONDS.toNanos(2), TimeUnit.NANOSECONDS);
        return code;
    }

    private static byte[] bytes16() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The request: the token and the arguments as single-quoted words on one line, a newline written '"$N"'. */
    static byte[] requestLine(String token, List<String> args) {
        StringBuilder line = new StringBuilder(token);
        for (String arg : args) {
            line.append(" '").append(arg.replace("'", "'\\''").replace("\n", "'\"$N\"'")).append('\'');
        }
        return line.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    private void end(Throwable why) {
        if (gone.complete(null)) {
            out.ended(why);
            err.ended(why);
        }
    }

    @Override
    public void close() {
        end(new IOException("the agent's session was closed"));
        watch.close();
    }
}
