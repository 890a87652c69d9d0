package dev.stagecraft.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.stagecraft.api.EnvironmentNotFoundException;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ExecRequest;
import dev.stagecraft.api.ExecResult;
import dev.stagecraft.api.IsolationLevel;
import dev.stagecraft.api.OutputListener;
import dev.stagecraft.api.StagecraftException;
import dev.stagecraft.api.Termination;
import dev.stagecraft.api.Terminations;
import dev.stagecraft.api.WorkspacePath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the commands of one {@link DockerEnvironment} and tells how each ended: through the container's exec agent
 * ({@link AgentCall}) when it is free, else each an Engine exec ({@link ExecCall}): a second command while one runs,
 * a container without the agent (a custom {@code init-command}, or made by an older version), a request the agent
 * cannot take (a NUL byte, over a mebibyte), or an agent that failed.
 *
 * <p><b>Commands.</b> Either way the command runs under {@code sh -c WRAPPER}: the wrapper writes its PID to a file
 * under /tmp, enters the working directory, and runs the command under {@code env -i} with only HOME, LANG and the
 * request's variables (and a default PATH). It is the leader of its own session and process group (an exec's because runc and runsc start
 * it with setsid, the agent's because the agent starts it through {@code setsid}), so at the timeout a second exec
 * kills the whole group ({@code kill -KILL -<pid>}): the command's background children die with it. When the command
 * ends (or is killed), what it left running is killed too ({@link RunLeftovers}): its session, and processes that
 * escaped into a session of their own (a daemonising double fork). Images therefore need {@code sh}, {@code env} and
 * {@code kill}, and for the agent {@code setsid} and {@code head} (every image of the default table, busybox and
 * Debian have them).
 *
 * <p><b>Results.</b> Exit codes and timeouts are read as {@link Terminations} says for every kind; besides: an out-of-memory kill ({@link OomEvents}), a failure while the
 * pids limit refused forks (runc, {@link LocalCgroup#pidsLimitHits()}) and SIGXFSZ are {@link Termination#LIMIT_KILLED}.
 */
final class CommandRunner {
    static final String WRAPPER = wrapper("rm -f \"$f\"");
    /**
     * The agent's wrapper: its commands run one at a time, so they share one PID file, emptied rather than removed at
     * the end (a shell built-in instead of a fork of {@code rm}).
     */
    static final String AGENT_WRAPPER = wrapper(": > \"$f\"");
    /** The PID file of the agent's commands; the timeout's kill ends before the agent takes the next command. */
    static final String AGENT_PID_FILE = "/tmp/.stagecraft-exec-agent.pid";
    private static final String KILLER = "i=0; while [ ! -s \"$1\" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
            + "p=$(cat \"$1\" 2>/dev/null) || exit 0; kill -s KILL -- \"-$p\" 2>/dev/null; kill -s KILL \"$p\" 2>/dev/null; "
            + "rm -f \"$1\"; me=$p; " + RunLeftovers.SWEEP + "; [ -z \"$v\" ] || exit 3; exit 0";

    /**
     * HOME and LANG for every command, before the request's variables (which override them): HOME as the runtime set it
     * from the image's passwd entry for the user, /workspace where it found none (runc and runsc then say "/", which
     * the read-only root makes useless); LANG as the image's ENV sets it, else C.UTF-8.
     */
    private static final String DEFAULT_ENV = "case ${HOME:-/} in /) h=/workspace ;; *) h=$HOME ;; esac; ";

    private static String wrapper(String releasePidFile) {
        return "f=$1; echo $$ > \"$f\" || exit 125; cd \"$2\" || exit 126; shift 2; " + DEFAULT_ENV
                + "env -i HOME=\"$h\" LANG=\"${LANG:-C.UTF-8}\" \"$@\"; rc=$?; "
                + releasePidFile + "; me=$$; " + RunLeftovers.SWEEP + "; exit $rc";
    }

    /** The signal the kernel sends a process that writes past its file size limit. */
    private static final int SIGXFSZ = 25;
    /** The exit code reported when a command is known to be killed but its code could not be read: SIGKILL's. */
    private static final int SIGKILL_EXIT = Terminations.exitCodeOf(9);

    private final DockerEnvironment env;
    private final String id;
    private final String containerId;
    private final IsolationLevel isolation;
    private final Engine engine;
    private final DockerSettings settings;
    private final ExecutorService workers;
    private final ScheduledExecutorService timers;
    private final AtomicInteger running = new AtomicInteger();

    CommandRunner(DockerEnvironment env, Engine engine, DockerSettings settings, ExecutorService workers,
                  ScheduledExecutorService timers) {
        this.env = env;
        this.id = env.id();
        this.containerId = env.containerId();
        this.isolation = env.isolation();
        this.engine = engine;
        this.settings = settings;
        this.workers = workers;
        this.timers = timers;
    }

    /** How many commands run now. */
    int running() {
        return running.get();
    }

    /**
     * Refused forks so far, or -1: runc only, since a runsc container's cgroup holds gVisor's Sentry and Gofer, not
     * the code's processes.
     */
    private long pidsLimitHits() {
        return isolation == IsolationLevel.USER_KERNEL ? -1 : env.cgroup().pidsLimitHits();
    }

    /** Runs {@code request}'s command in the container; the environment has checked that it may. */
    ExecResult run(ExecRequest request, OutputListener listener) {
        String workdir = WorkspaceArchive.WORKSPACE + request.workingDir().map(d -> "/" + WorkspacePath.of(d).relative()).orElse("");
        String pidFile = "/tmp/.stagecraft-exec-" + UUID.randomUUID() + ".pid";
        List<String> wrapperArgs = new ArrayList<>();
        request.env().forEach((k, v) -> wrapperArgs.add(k + "=" + v));
        if (request.argv().get(0).contains("=")) {
            // env would read it as one more assignment; let a shell run it instead
            wrapperArgs.addAll(List.of("sh", "-c", "exec \"$@\"", "sh"));
        }
        wrapperArgs.addAll(request.argv());
        String what = "cannot run " + request.argv().get(0) + " in '" + id + "'";
        long generation = env.stopGeneration();
        long pidsHitsBefore = pidsLimitHits();
        long oomBefore = oomKills();
        running.incrementAndGet();
        ExecCall.Outcome outcome;
        try {
            outcome = throughAgent(request, listener, workdir, wrapperArgs, what, generation);
            if (outcome == null) {
                List<String> command = new ArrayList<>(List.of("sh", "-c", WRAPPER, "sh", pidFile, workdir));
                if (!request.env().containsKey("PATH")) {
                    command.add("PATH=" + settings.path());
                }
                command.addAll(wrapperArgs);
                outcome = ExecCall.run(engine, workers, timers, containerId, what, command, settings.user(), request.stdin(),
                        request.outputLimit(), listener, request.timeout(), () -> kill(pidFile));
            }
        } catch (StagecraftException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                throw new EnvironmentNotFoundException(id);
            }
            if (e.code() == ErrorCode.ILLEGAL_STATE) {
                throw new StagecraftException(ErrorCode.ILLEGAL_STATE, "environment '" + id + "' is not running (status "
                        + env.status() + "); start it first", e);
            }
            throw e;
        } finally {
            running.decrementAndGet();
        }
        String oom = outOfMemory(outcome, oomBefore);
        if (oom != null) {
            return new ExecResult((int) (outcome.exitCode() < 0 ? SIGKILL_EXIT : outcome.exitCode()), outcome.stdout(),
                    outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED, outcome.truncated(), oom);
        }
        if (outcome.timedOut()) {
            return Terminations.timedOut(request.timeout(), outcome.stdout(), outcome.stderr(), outcome.took(),
                    outcome.truncated());
        }
        if (env.stoppedSince(generation)) {
            return new ExecResult((int) (outcome.exitCode() < 0 ? SIGKILL_EXIT : outcome.exitCode()), outcome.stdout(),
                    outcome.stderr(), outcome.took(), Termination.ENVIRONMENT_STOPPED, outcome.truncated(),
                    "the environment was stopped while it ran");
        }
        if (outcome.exitCode() < 0 || Terminations.signalOf((int) outcome.exitCode()) != 0) {
            // Killed, or no exit code: was the container stopped underneath it (an Engine restart, docker stop)?
            String underneath = outcome.agentAnswered() ? "" : stoppedUnderneath();
            if (underneath != null && !underneath.isEmpty()) {
                return new ExecResult((int) (outcome.exitCode() < 0 ? SIGKILL_EXIT : outcome.exitCode()), outcome.stdout(), outcome.stderr(),
                        outcome.took(), Termination.ENVIRONMENT_STOPPED, outcome.truncated(), "environment '" + id
                        + "' stopped while " + request.argv().get(0) + " ran (" + underneath + "; the Docker Engine restarted,"
                        + " or someone stopped it); the next exec starts it again");
            }
            if (outcome.exitCode() < 0) {
                throw new StagecraftException(ErrorCode.EXEC_FAILED, "the exit code of " + request.argv().get(0) + " in '" + id
                        + "' could not be read from the Engine" + (underneath == null ? ": the Docker Engine at " + engine.host()
                        + " stopped answering while it ran; is dockerd running?" : ""));
            }
        }
        int code = (int) outcome.exitCode();
        if (code != 0 && pidsHitsBefore >= 0 && pidsLimitHits() > pidsHitsBefore) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.processLimit(settings.pids()));
        }
        if (Terminations.signalOf(code) == SIGXFSZ) {
            return new ExecResult(code, outcome.stdout(), outcome.stderr(), outcome.took(), Termination.LIMIT_KILLED,
                    outcome.truncated(), Terminations.fileSizeLimit(settings.fileSizeBytes()));
        }
        return Terminations.ended(code, outcome.stdout(), outcome.stderr(), outcome.took(), outcome.truncated());
    }

    /**
     * Runs the command through the environment's exec agent ({@link AgentCall}) when it can take it: the container runs
     * one, no other command holds it, and the request encodes ({@link AgentRequest#run}). Null otherwise: the caller
     * uses an Engine exec. An agent that breaks its protocol, or stops answering while its container still runs, is
     * not used again until the environment is started again.
     */
    private ExecCall.Outcome throughAgent(ExecRequest request, OutputListener listener, String workdir,
                                          List<String> wrapperArgs, String what, long generation) {
        AgentLink agent = env.agent();
        AgentLink.Taken taken = agent.acquire(env::containerRuns);
        if (taken == null) {
            return null;
        }
        try {
            String nonce = AgentRequest.newNonce();
            List<String> args = wrapperArgs;
            boolean agentPath = false;
            if (!request.env().containsKey("PATH")) {
                // The agent carries the default PATH of the settings it was made with: named when they agree.
                agentPath = settings.path().equals(agent.defaultPath());
                if (!agentPath) {
                    args = new ArrayList<>(wrapperArgs);
                    args.add(0, "PATH=" + settings.path());
                }
            }
            byte[] encoded = AgentRequest.run(nonce, workdir.equals(WorkspaceArchive.WORKSPACE) ? null : workdir, args, agentPath,
                    request.stdin(), agent.flags().longBodies());
            if (encoded == null) {
                return null;
            }
            ExecCall.Outcome outcome;
            try {
                outcome = AgentCall.run(taken.channel(), nonce, taken.beginMarkers(), encoded, engine, workers, timers, containerId,
                        what, request.outputLimit(), listener, request.timeout(), () -> kill(taken.pidFile()));
            } catch (StagecraftException e) {
                if (e.code() == ErrorCode.EXEC_FAILED) {
                    agent.drop(taken);
                }
                throw e;
            }
            if (outcome.exitCode() < 0 && !outcome.timedOut() && !outcome.containerExited() && !env.stoppedSince(generation)) {
                if (ExecCall.containerRunning(engine, containerId)) {
                    agent.drop(taken);
                    throw new StagecraftException(ErrorCode.EXEC_FAILED, what + ": the exec agent stopped answering while it ran"
                            + " (its container still runs); commands go through Engine execs until the environment is started again");
                }
            }
            return outcome;
        } finally {
            agent.release(taken);
        }
    }

    /**
     * After a command died of a signal or without an exit code: "" when the container still runs commands (a probe
     * exec of {@code true} succeeds), else why not ("its container exited, exit code 143"), or null when the Engine
     * does not answer. The probe comes first because the Engine may report the exec's end before the container's:
     * when the Engine stops a container, the exec dies with the container's init and inspect still says running.
     */
    private String stoppedUnderneath() {
        try {
            ExecCall.Outcome probe = ExecCall.run(engine, workers, timers, containerId, "liveness of '" + id + "'",
                    List.of("true"), settings.user(), new byte[0], 4096, null, Duration.ofSeconds(5), () -> { });
            if (probe.exitCode() == 0) {
                return "";
            }
        } catch (StagecraftException e) {
            if (e.code() == ErrorCode.PROVIDER_UNAVAILABLE) {
                return null;
            }
        } catch (RuntimeException e) {
            // below
        }
        InspectContainerResponse.ContainerState state;
        try {
            state = engine.client().inspectContainerCmd(containerId).exec().getState();
        } catch (NotFoundException e) {
            return "its container is gone";
        } catch (RuntimeException e) {
            return null;
        }
        if (Boolean.TRUE.equals(state.getRunning())) {
            return "its container is stopping";
        }
        return "its container " + state.getStatus() + (state.getExitCodeLong() == null ? "" : ", exit code " + state.getExitCodeLong());
    }

    /** OOM kills so far in a runc container's cgroup on this host, or -1 (runsc, or a remote Engine). */
    private long oomKills() {
        return isolation == IsolationLevel.USER_KERNEL ? -1 : env.cgroup().oomKills();
    }

    /**
     * When an out-of-memory kill hit this container while the command ran: the detail of a
     * {@link Termination#LIMIT_KILLED} result; otherwise null. With runc on a local Engine the cgroup's own count tells
     * (any failing exit: the killed process may have been a child of the command); otherwise the Engine's oom events
     * are asked when the command died of SIGKILL, lost its exit code or its container, or (runsc) failed at all: with
     * runsc the cgroup holds gVisor's Sentry, the guest kernel, and the kill takes the whole container down, while
     * the exec may end with runsc's own error and exit code.
     */
    private String outOfMemory(ExecCall.Outcome outcome, long oomBefore) {
        long code = outcome.exitCode();
        boolean killed;
        if (oomBefore >= 0) {
            killed = code != 0 && oomKills() > oomBefore;
        } else {
            boolean signalled = code == SIGKILL_EXIT || code < 0 || outcome.containerExited();
            boolean gvisorFailure = code != 0 && isolation == IsolationLevel.USER_KERNEL;
            killed = (signalled || gvisorFailure) && OomEvents.seen(engine, containerId, outcome.startedAt(), signalled);
        }
        if (!killed) {
            return null;
        }
        long limit = -1;
        boolean running = true;
        // With runsc a killed Sentry takes the container down a moment after the exec ends: wait up to 2 s to say so.
        long end = System.nanoTime() + (isolation == IsolationLevel.USER_KERNEL ? Duration.ofSeconds(2).toNanos() : 0);
        do {
            try {
                InspectContainerResponse inspect = engine.client().inspectContainerCmd(containerId).exec();
                limit = inspect.getHostConfig() == null || inspect.getHostConfig().getMemory() == null ? -1
                        : inspect.getHostConfig().getMemory();
                running = !Boolean.FALSE.equals(inspect.getState().getRunning());
            } catch (RuntimeException e) {
                break; // the detail goes without the number
            }
            if (running && System.nanoTime() - end < 0) {
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
        } while (running && System.nanoTime() - end < 0);
        String detail = (limit > 0 ? Terminations.memoryLimit(limit) : "killed: memory limit") + " (out of memory)";
        return running ? detail : detail + "; the kill took the whole container down (with gVisor the guest kernel shares"
                + " the memory limit), so environment '" + id + "' is stopped until it is started again";
    }

    /**
     * Kills the process group whose leader wrote {@code pidFile}, through a second exec. When that exec cannot run
     * (no process slot left inside: a fork bomb at the pids limit, or gVisor refusing the exec with EAGAIN), the
     * container is killed instead: a timeout is enforced even at the price of the environment, which is then STOPPED
     * and starts again on demand. The same happens when the sweep's last round still found processes of the group:
     * under gVisor a fork bomb was seen still running 30 s after its timeout (CI, a loaded machine), its children
     * forking into the slots the kill freed.
     */
    private void kill(String pidFile) {
        boolean killed;
        try {
            killed = ExecCall.run(engine, workers, timers, containerId, "kill in '" + id + "'", List.of("sh", "-c", KILLER, "sh", pidFile),
                    settings.user(), new byte[0], 4096, null, Duration.ofSeconds(15), () -> { }).exitCode() == 0;
        } catch (RuntimeException e) {
            killed = false;
        }
        if (!killed) {
            try {
                engine.client().killContainerCmd(containerId).exec();
            } catch (RuntimeException e) {
                // gone or stopped already; the stream is closed after its grace period anyway
            }
        }
    }
}
