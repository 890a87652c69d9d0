package dev.stagecraft.kubernetes;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The agents ({@link AgentSession}) of one environment: up to {@value #MAX} open at once, each running one command at a
 * time, kept open between commands. A command that finds none free and none may be opened, one with more than
 * {@value #MAX_STDIN} bytes of stdin, or one whose request line is too long, is not taken ({@link Optional#empty()}): the caller runs it through an exec of its
 * own. So does every command once the image showed it cannot run the agent.
 */
final class AgentPool implements AutoCloseable {
    static final int MAX = 4;
    /** The most stdin a command sends through an agent; more goes through an exec of its own. */
    static final int MAX_STDIN = 60 * 1024;

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final String environmentId;
    private final Executor writers;
    private final Deque<AgentSession> idle = new ArrayDeque<>();
    private int open;
    private boolean unsupported;
    private boolean closed;

    AgentPool(KubernetesClient client, String namespace, String pod, String environmentId, Executor writers) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.environmentId = environmentId;
        this.writers = writers;
    }

    /**
     * Runs RUN's arguments through an agent, with {@code stdin} (RUN's stdin count must match), or returns empty when
     * it was not run (run it another way).
     */
    Optional<PodExec.Outcome> run(List<String> runArgs, byte[] stdin, long limit, OutputListener listener, Duration timeout,
                                  Runnable onTimeout, Duration afterKill) {
        if (stdin.length > MAX_STDIN || AgentSession.requestLine("", runArgs).length > AgentSession.MAX_LINE) {
            return Optional.empty();
        }
        AgentSession session = take();
        if (session == null) {
            return Optional.empty();
        }
        CappedSink out = new CappedSink(limit, listener == null ? null : listener::stdout);
        CappedSink err = new CappedSink(limit, listener == null ? null : listener::stderr);
        long started = System.nanoTime();
        boolean reusable = false;
        try {
            AgentSession.Ended ended = session.run(runArgs, stdin, writers, out, err, timeout, onTimeout, afterKill);
            if (ended == null) {
                noteUnsupported(session);
                return Optional.empty();
            }
            reusable = session.alive();
            return Optional.of(new PodExec.Outcome(ended.exitCode(), out.bytes(), err.bytes(), out.truncated() || err.truncated(),
                    ended.timedOut(), Duration.ofNanos(System.nanoTime() - started)));
        } catch (IOException e) {
            // the command began and its stream broke: what it did is unknown, so it is not run again
            return Optional.of(new PodExec.Outcome(-1, out.bytes(), err.bytes(), out.truncated() || err.truncated(), false,
                    Duration.ofNanos(System.nanoTime() - started)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StagecraftException(ErrorCode.EXEC_FAILED, "interrupted while a command ran in '" + environmentId + "'");
        } finally {
            give(session, reusable);
        }
    }

    private synchronized AgentSession take() {
        while (!idle.isEmpty()) {
            AgentSession s = idle.pop();
            if (s.alive()) {
                return s;
            }
            open--;
            s.close();
        }
        if (closed || unsupported || open >= MAX) {
            return null;
        }
        try {
            AgentSession s = AgentSession.open(client, namespace, pod);
            open++;
            return s;
        } catch (RuntimeException e) {
            return null; // the exec of its own says what is wrong
        }
    }

    private synchronized void give(AgentSession session, boolean reusable) {
        if (reusable && !closed) {
            idle.push(session);
        } else {
            open--;
            session.close();
        }
    }

    private synchronized void noteUnsupported(AgentSession session) {
        if (session.unsupported()) {
            unsupported = true;
        }
    }

    /** Ends every idle agent; busy ones end when their command does. Later commands open new ones. */
    synchronized void drain() {
        idle.forEach(AgentSession::close);
        open -= idle.size();
        idle.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        drain();
    }
}
