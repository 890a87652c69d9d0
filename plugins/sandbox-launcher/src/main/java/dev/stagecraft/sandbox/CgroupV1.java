package dev.stagecraft.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** cgroup v1: one directory per controller hierarchy. Killing freezes first (when the freezer exists), so a fork bomb cannot outrun it. */
final class CgroupV1 extends EnvironmentCgroup {
    private final Map<String, Path> dirs;

    CgroupV1(Map<String, Path> dirs) {
        this.dirs = dirs;
    }

    @Override
    void makeDirectories() throws IOException {
        for (Path dir : distinctDirs()) {
            Files.createDirectories(dir);
        }
    }

    @Override
    List<Path> directories() {
        return distinctDirs();
    }

    @Override
    void applyLimits(Limits limits) throws IOException {
        Path memory = dirs.get("memory");
        String bytes = Long.toString(limits.memoryBytes());
        Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
        boolean swapLimit = Files.exists(memsw);
        // memory+swap may never be below memory: raise it first, lower it last (a reused cgroup has limits already)
        if (swapLimit && readLong(memsw) >= 0 && readLong(memsw) < limits.memoryBytes()) {
            write(memsw, bytes);
        }
        write(memory.resolve("memory.limit_in_bytes"), bytes);
        if (swapLimit) {
            write(memsw, bytes);
        }
        write(dirs.get("pids").resolve("pids.max"), Long.toString(limits.pids()));
        Path cpu = dirs.get("cpu");
        if (cpu != null) {
            // cpu.cfs_period_us of a new cgroup is the kernel's default, 100 ms: Limits.CFS_PERIOD_US
            write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cfsQuotaUs()));
        }
    }

    @Override
    boolean exists() {
        return distinctDirs().stream().anyMatch(Files::isDirectory);
    }

    @Override
    List<Path> procsFiles() {
        return distinctDirs().stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * The wrapper joins the hierarchies in {@link #procsFiles} order and gives up at the first failure, before
     * anything forks, so the first hierarchy holds every process of the environment.
     */
    @Override
    Set<Long> pids() {
        return readPids(procsFiles().get(0));
    }

    @Override
    void killAll(Duration within) {
        Path freezer = dirs.get("freezer");
        long end = System.nanoTime() + within.toNanos();
        for (int attempt = 0; ; attempt++) {
            Set<Long> pids = pids();
            if (pids.isEmpty() || System.nanoTime() - end > 0) {
                return;
            }
            boolean frozen = freezer != null && freeze(freezer, "FROZEN");
            killEach(pids);
            if (frozen) {
                freeze(freezer, "THAWED");
            }
            Pause.beforePoll(attempt);
        }
    }

    private static boolean freeze(Path freezer, String state) {
        try {
            write(freezer.resolve("freezer.state"), state);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    void remove(Duration within) throws IOException {
        for (Path dir : distinctDirs()) {
            rmdir(dir, within);
        }
    }

    @Override
    long memoryBytes() {
        return readLong(dirs.get("memory").resolve("memory.usage_in_bytes"));
    }

    @Override
    long memoryLimit() {
        return readLong(dirs.get("memory").resolve("memory.limit_in_bytes"));
    }

    @Override
    long cpuNanos() {
        Path cpuacct = dirs.get("cpuacct");
        return cpuacct == null ? -1 : readLong(cpuacct.resolve("cpuacct.usage"));
    }

    @Override
    long pidsCurrent() {
        return readLong(dirs.get("pids").resolve("pids.current"));
    }

    @Override
    long oomKills() {
        return readKeyed(dirs.get("memory").resolve("memory.oom_control"), "oom_kill");
    }

    @Override
    long pidsLimitHits() {
        return readKeyed(dirs.get("pids").resolve("pids.events"), "max");
    }

    /** Controllers mounted together (cpu,cpuacct) share one directory. */
    private List<Path> distinctDirs() {
        return new ArrayList<>(new LinkedHashSet<>(dirs.values()));
    }
}
