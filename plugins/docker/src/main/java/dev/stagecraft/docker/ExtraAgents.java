package dev.stagecraft.docker;

import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The agents of one environment besides the container's own, for commands that come while it is busy: each started
 * by an Engine exec with its stdin attached (one exec's cost, once), kept for the next such command, at most
 * {@link #MAX}. Only this process writes to one (an exec's stdin has a single client), so they need no lock file; they
 * run the same script as the container's agent, begin markers included. One ends with its connection (it exits at the end of its input) or with the
 * container; one that could not be started or did not answer its ping stops further starts until the environment
 * starts again.
 */
final class ExtraAgents {
    static final int MAX = 3;

    /** One extra agent; its commands write their PID to {@code pidFile} (the timeout's kill reads it). */
    static final class Agent {
        private final AgentChannel channel;
        private final String pidFile;
        private final ReentrantLock busy = new ReentrantLock();

        private Agent(AgentChannel channel, String pidFile) {
            this.channel = channel;
            this.pidFile = pidFile;
        }

        AgentChannel channel() {
            return channel;
        }

        String pidFile() {
            return pidFile;
        }
    }

    private final String id;
    private final String containerId;
    private final String defaultPath;
    private final String user;
    private final Engine engine;
    private final ExecutorService workers;
    private final List<Agent> agents = new CopyOnWriteArrayList<>();
    private volatile boolean failed;

    ExtraAgents(String id, String containerId, String defaultPath, String user, Engine engine, ExecutorService workers) {
        this.id = id;
        this.containerId = containerId;
        this.defaultPath = defaultPath;
        this.user = user;
        this.engine = engine;
        this.workers = workers;
    }

    /** An idle extra agent, the caller's until {@link #release}, or a new one; null when none can be had. */
    Agent take() {
        for (Agent a : agents) {
            if (!a.channel.ended() && a.busy.tryLock()) {
                if (!a.channel.ended()) {
                    return a;
                }
                a.busy.unlock();
            }
            if (a.channel.ended()) {
                agents.remove(a);
            }
        }
        synchronized (this) {
            if (failed || agents.size() >= MAX) {
                return null;
            }
            Agent a = start();
            if (a == null) {
                failed = true;
                return null;
            }
            a.busy.lock();
            agents.add(a);
            return a;
        }
    }

    void release(Agent a) {
        a.busy.unlock();
    }

    /** The agent broke its protocol or stopped answering: closed, and not handed out again. */
    void drop(Agent a) {
        agents.remove(a);
        a.channel.close();
    }

    /** Closes every extra agent (stop, destroy). */
    void close() {
        for (Agent a : agents) {
            a.channel.close();
        }
        agents.clear();
    }

    /** The container was started again: new extra agents may be started, even if one failed before. */
    void allowStarts() {
        failed = false;
    }

    /** Starts one and waits for its answer to a ping; null when either fails. */
    private Agent start() {
        String pidFile = "/tmp/.stagecraft-exec-agent-" + UUID.randomUUID() + ".pid";
        AgentChannel channel;
        try {
            channel = AgentChannel.exec(engine, containerId, AgentScript.extra(defaultPath, pidFile), user, workers,
                    "extra exec agent of '" + id + "'");
        } catch (StagecraftException e) {
            return null;
        }
        try {
            AgentChannel.Exchange ping = channel.ping();
            try {
                AgentLink.Flags flags = ping.await(AgentLink.PING_TIMEOUT.toNanos()) ? AgentLink.Flags.parse(ping.status()) : null;
                if (flags != null && flags.canRun()) {
                    return new Agent(channel, pidFile);
                }
            } finally {
                channel.finish(ping);
            }
        } catch (IOException e) {
            // below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
        return null;
    }
}
