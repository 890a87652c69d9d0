package dev.stagecraft.docker;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One environment's exec agent, as far as the manager knows it: whether the container runs one (its private label),
 * the attach channel to it, what its last ping said, and whether it may be used. The agent runs one command at a
 * time: {@link #acquire()} hands the channel to one caller and null to the others, who run their command through an
 * Engine exec instead; so do callers in other processes on this host ({@link AgentLocks}). A channel that ended (the container stopped) is attached again on the next use, after a ping;
 * an agent that does not answer a ping, or broke the protocol, is not used again until the environment is started
 * again ({@link #reset()}).
 */
final class AgentLink {
    /** How long a ping may take on a running container before the agent is given up for Engine execs. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(2);
    private static final long CHECK_EVERY_NANOS = Duration.ofMillis(250).toNanos();

    /**
     * What the agent's answer to a ping says about it. {@code beginMarkers}: its runs start with a begin marker (an
     * agent of an older version, in a container made by it, writes none).
     */
    record Flags(boolean workspaceWritable, boolean canRun, boolean longBodies, boolean beginMarkers) {
        /** From a ping's status, {@code p} and the letters b, w, s, h; null when it is no ping answer. */
        static Flags parse(String status) {
            if (status == null || !status.matches("p[bwsh]*")) {
                return null;
            }
            return new Flags(status.indexOf('w') > 0, status.indexOf('s') > 0, status.indexOf('h') > 0, status.indexOf('b') > 0);
        }
    }

    private final String id;
    private final String containerId;
    private final String defaultPath;
    private final Engine engine;
    private final ExecutorService workers;
    private final AgentLocks locks;
    private final ExtraAgents extras;
    private final ReentrantLock busy = new ReentrantLock();
    /** The other processes' exclusion, while {@link #busy} is held. */
    private AgentLocks.Held held;
    private volatile AgentChannel channel;
    private volatile Flags flags;
    private volatile boolean disabled;

    /** {@code defaultPath}: the PATH the container's agent gives commands whose request sets none; null for no agent. */
    AgentLink(String id, String containerId, String defaultPath, String user, Engine engine, ExecutorService workers,
              AgentLocks locks) {
        this.id = id;
        this.containerId = containerId;
        this.defaultPath = defaultPath;
        this.engine = engine;
        this.workers = workers;
        this.locks = locks;
        this.extras = new ExtraAgents(id, containerId, defaultPath, user, engine, workers);
    }

    /**
     * One command's hold on an agent, until {@link #release}: the channel, the PID file its wrapper writes (the
     * timeout's kill reads it), whether the answer starts with a begin marker, and the extra agent it is, if it is one.
     */
    record Taken(AgentChannel channel, String pidFile, boolean beginMarkers, ExtraAgents.Agent extra) {
    }

    /** Takes {@link #busy} and the other processes' lock, or neither. */
    private boolean lock() {
        if (!busy.tryLock()) {
            return false;
        }
        AgentLocks.Held h = locks.tryLock(id);
        if (h == null) {
            busy.unlock();
            return false;
        }
        held = h;
        return true;
    }

    private void unlock() {
        AgentLocks.Held h = held;
        held = null;
        try {
            h.close();
        } finally {
            busy.unlock();
        }
    }

    /** Whether the container's main process is the agent. */
    boolean present() {
        return defaultPath != null;
    }

    /** The PATH the agent gives a command whose request sets none ({@code "$D"} in a request); null without an agent. */
    String defaultPath() {
        return defaultPath;
    }

    /** Attaches anew (closing a previous channel): before the container starts, so nothing it says is missed. */
    void attach() {
        AgentChannel old = channel;
        channel = AgentChannel.attach(engine, containerId, workers, "exec agent of '" + id + "'");
        if (old != null) {
            old.close();
        }
    }

    /** A ping written to the agent, its answer still to come. */
    static final class Ping {
        private final AgentChannel channel;
        private final AgentChannel.Exchange exchange;

        private Ping(AgentChannel channel, AgentChannel.Exchange exchange) {
            this.channel = channel;
            this.exchange = exchange;
        }
    }

    /**
     * Writes a ping on the current channel (attaching first when there is none or it ended). Written before the
     * container starts, it waits in the container's stdin, and the answer may be there by the time the start returns.
     */
    Ping sendPing() {
        AgentChannel c = channel;
        if (c == null || c.ended()) {
            attach();
            c = channel;
        }
        AgentChannel.Exchange exchange;
        try {
            exchange = c.ping();
        } catch (IOException e) {
            c.close();
            throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "the exec agent of '" + id + "' cannot be reached: "
                    + Engine.oneLine(String.valueOf(e.getMessage())), e);
        }
        return new Ping(c, exchange);
    }

    /**
     * Waits for the answer to {@code ping} and keeps the agent's flags. {@code whileWaiting} runs every 250 ms until
     * it comes and may throw to give up (the container stopped). Throws {@code PROVISIONING_FAILED} when no answer
     * comes within {@code timeout}, or another one does.
     */
    Flags awaitPing(Ping ping, Duration timeout, Runnable whileWaiting) {
        AgentChannel c = ping.channel;
        AgentChannel.Exchange exchange = ping.exchange;
        try {
            long end = System.nanoTime() + timeout.toNanos();
            while (!exchange.await(Math.min(CHECK_EVERY_NANOS, Math.max(1, end - System.nanoTime())))) {
                if (System.nanoTime() - end >= 0) {
                    c.close();
                    throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "the exec agent of '" + id
                            + "' did not answer within " + timeout);
                }
                whileWaiting.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "interrupted while waiting for the exec agent of '" + id + "'");
        } finally {
            c.finish(exchange);
        }
        Flags answer = Flags.parse(exchange.status());
        if (answer == null) {
            c.close();
            throw new StagecraftException(ErrorCode.PROVISIONING_FAILED, "the exec agent of '" + id + "' "
                    + (exchange.streamHasEnded() && exchange.status() == null && exchange.violation() == null
                    ? "is gone (its container stopped)" : "answered a ping with something else ("
                    + (exchange.violation() != null ? exchange.violation() : exchange.status()) + ")"));
        }
        flags = answer;
        disabled = false;
        return answer;
    }

    /** {@link #sendPing()} and {@link #awaitPing}. */
    Flags ping(Duration timeout, Runnable whileWaiting) {
        return awaitPing(sendPing(), timeout, whileWaiting);
    }

    /**
     * An agent for one command, this caller's alone until {@link #release}: the container's own, or while another
     * command of this process holds it, an extra one ({@link ExtraAgents}). Null when the command must go through an
     * Engine exec: no agent in this container, it cannot run commands (no setsid), it failed before, the container does
     * not run ({@code running}, asked only before attaching again), or the container's agent is another process's
     * for now and this process has not used it yet.
     */
    Taken acquire(BooleanSupplier running) {
        if (defaultPath == null || disabled) {
            return null;
        }
        if (!lock()) {
            Flags known = flags;
            ExtraAgents.Agent extra = known != null && known.canRun() ? extras.take() : null;
            return extra == null ? null : new Taken(extra.channel(), extra.pidFile(), true, extra);
        }
        try {
            AgentChannel c = channel;
            if (c == null || c.ended() || flags == null) {
                if (!running.getAsBoolean()) {
                    unlock();
                    return null;
                }
                try {
                    ping(PING_TIMEOUT, () -> { });
                } catch (StagecraftException e) {
                    disabled = true;
                    unlock();
                    return null;
                }
                c = channel;
            }
            if (!flags.canRun()) {
                unlock();
                return null;
            }
            return new Taken(c, CommandRunner.AGENT_PID_FILE, flags.beginMarkers(), null);
        } catch (RuntimeException e) {
            unlock();
            throw e;
        }
    }

    void release(Taken taken) {
        if (taken.extra() != null) {
            extras.release(taken.extra());
        } else {
            unlock();
        }
    }

    /**
     * The agent that served {@code taken} broke its protocol or stopped answering: an extra one is closed, the
     * container's own is not used again until the environment starts again ({@link #disable()}).
     */
    void drop(Taken taken) {
        if (taken.extra() != null) {
            extras.drop(taken.extra());
        } else {
            disable();
        }
    }

    /** The last ping's flags (null before the first). */
    Flags flags() {
        return flags;
    }

    /** Stops using the agent until the environment is started again; the channel is closed. */
    void disable() {
        disabled = true;
        close();
    }

    /** The container was started again: the agent may be used, through a channel attached anew. */
    void reset() {
        close();
        extras.allowStarts();
        flags = null;
        disabled = false;
    }

    /**
     * Before the container is removed: when the agent is idle and connected, it is told to exit and the container's
     * stop is awaited (at most {@code within}), since the Engine removes a stopped container some 10 ms sooner than it
     * kills and removes a running one. Best effort: the removal that follows forces it either way.
     */
    void exitBeforeRemoval(Duration within) {
        AgentChannel c = channel;
        if (defaultPath == null || disabled || c == null || c.ended() || !lock()) {
            return;
        }
        try {
            c.send(AgentRequest.exit());
            c.awaitEnd(within);
        } catch (IOException e) {
            // gone already
        } finally {
            unlock();
        }
    }

    /** Closes the channel and the extra agents (stop, destroy); the next use attaches again. */
    void close() {
        AgentChannel c = channel;
        if (c != null) {
            c.close();
        }
        extras.close();
    }
}
