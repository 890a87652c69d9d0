package dev.stagecraft.docker;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.IsolationLevel;
import org.junit.jupiter.api.BeforeEach;

/**
 * The hostile battery with gVisor's runsc (isolation class user-kernel), on the busybox test image, with the same
 * leftover checks as runc. Where gVisor's kernel in user space legitimately behaves otherwise, the expectation is
 * overridden here, each with its reason.
 */
class TestDockerGvisorHostileCode extends TestDockerHostileCode {
    @Override
    protected EnvironmentRequirement.Builder requirement() {
        return super.requirement().isolation(IsolationLevel.USER_KERNEL);
    }

    @BeforeEach
    void requireGvisor() {
        DockerFixtures.requireUserKernel((DockerProvider) provider);
    }

    /**
     * The container's cgroup holds gVisor's Sentry and Gofer, not the code's processes, so its pids.events does not
     * count the code's refused forks: the provider bounds them with RLIMIT_NPROC, which gVisor's kernel enforces
     * (EAGAIN), and the command exits as it chooses.
     */
    @Override
    protected boolean pidsLimitHitsAreReported() {
        return false;
    }

    /**
     * The bomb holds every process slot of RLIMIT_NPROC, and runsc then refuses any exec with EAGAIN ("try again"),
     * including the one that would kill the bomb at the timeout: the provider kills the container instead. gVisor
     * also sometimes takes its sandbox down by itself under that pressure (exit code 2).
     */
    @Override
    protected boolean forkBombMayStopTheEnvironment() {
        return true;
    }

    /** gVisor checks the directory's permission (root's, mode 755) before the mount's read-only flag: EACCES, not EROFS. */
    @Override
    protected String readOnlyWriteError() {
        return "Permission denied";
    }

    /**
     * The memory limit bounds the Sentry (gVisor's kernel) together with the code; the host's OOM killer picks the
     * Sentry, and the whole container goes with it. The provider reports LIMIT_KILLED and the environment STOPPED.
     */
    @Override
    protected boolean memoryKillStopsTheEnvironment() {
        return true;
    }

    /** With {@code --network=none} gVisor's netstack has no route at all: EHOSTUNREACH, where Linux says ENETUNREACH. */
    @Override
    protected String unreachableError() {
        return "No route to host";
    }

    /** gVisor implements user namespaces in its own kernel; one made inside gives nothing on the host's. */
    @Override
    protected boolean userNamespacesRefused() {
        return false;
    }

    /**
     * Every system call goes through gVisor's Sentry: on the build machines (systrap platform) a 4 KiB write costs
     * ~0.35 ms, so busybox's head takes ~90 s for 1 GiB, and the balloon's 128m through tr takes most of a minute.
     */
    @Override
    protected boolean slowSyscalls() {
        return true;
    }

    /** gVisor's /proc/self/status has no NoNewPrivs line (the flag is still set: Docker passes no-new-privileges). */
    @Override
    protected boolean reportsNoNewPrivs() {
        return false;
    }
}
