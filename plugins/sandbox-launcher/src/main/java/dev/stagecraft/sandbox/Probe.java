package dev.stagecraft.sandbox;

import dev.stagecraft.api.ProviderHealth;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** The sandbox's fingerprint of the host: bubblewrap, a trial sandbox, cgroups, user namespaces. */
final class Probe {
    private static final Duration TRIAL_TIMEOUT = Duration.ofSeconds(15);

    private Probe() {
    }

    static ProviderHealth run(SandboxSettings settings, CgroupHierarchy cgroups, Path stateDir) {
        Map<String, String> details = new TreeMap<>();
        List<String> remedies = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return ProviderHealth.unavailable("the sandbox needs Linux (this is " + System.getProperty("os.name") + ")",
                    List.of("use the docker or kvm provider on this host"), details);
        }
        details.put("bwrap", settings.bwrap());
        details.put("cgroup", cgroups.version());
        details.put("cgroup.controllers", String.join(",", cgroups.controllers()));
        details.put("user-namespaces", readTrimmed(Path.of("/proc/sys/user/max_user_namespaces")));
        if (!Files.isExecutable(Path.of(settings.bwrap()))) {
            return ProviderHealth.unavailable("bubblewrap not found ('" + settings.bwrap() + "')",
                    List.of("apt-get install bubblewrap (Debian/Ubuntu) or dnf install bubblewrap",
                            "or set providers.sandbox.bwrap to its path"), details);
        }
        Outcome version = exec(List.of(settings.bwrap(), "--version"));
        details.put("bwrap.version", version.output.replace("bubblewrap", "").trim());
        if (details.get("user-namespaces").equals("0")) {
            remedies.add("sysctl -w user.max_user_namespaces=15000");
            return ProviderHealth.unavailable("user namespaces are disabled (user.max_user_namespaces=0)", remedies, details);
        }
        SeccompFilter.Programs filter;
        try {
            details.put("seccomp.libseccomp", SeccompFilter.libraryVersion());
            filter = SeccompFilter.ensure(stateDir, SeccompPolicy.standard());
            details.put("seccomp", "filter " + filter.main().getFileName() + ", "
                    + SeccompPolicy.standard().everAllowed().size() + " syscalls allowed, the rest EPERM");
        } catch (IOException | LinkageError | RuntimeException e) {
            return ProviderHealth.unavailable("cannot compile the seccomp filter: " + e.getMessage(),
                    List.of("apt-get install libseccomp2 (Debian/Ubuntu) or dnf install libseccomp"), details);
        }
        details.put("launcher", settings.directLaunch() ? "direct (posix_spawn, bubblewrap held until its cgroup is joined)"
                : "shell (the C library lacks posix_spawn_file_actions_addclosefrom_np, glibc 2.34+; or launcher: shell)");
        Outcome outcome = trial(settings, filter);
        details.put("trial", outcome.code == 0 ? "ok" : "exit " + outcome.code);
        if (outcome.code != 0) {
            return ProviderHealth.unavailable("a trial sandbox failed: " + outcome.output.trim(),
                    List.of("allow user namespaces (sysctl kernel.unprivileged_userns_clone=1, or run as root)",
                            "inside a container, run it with --privileged or a seccomp profile that allows clone/unshare"),
                    details);
        }
        if (!cgroups.usable()) {
            return ProviderHealth.unavailable("no usable cgroup hierarchy (found " + cgroups.version() + " with "
                            + cgroups.controllers() + "; memory and pids are required)",
                    List.of("mount cgroup v2 at " + settings.cgroupRoot() + " with memory, pids and cpu enabled",
                            "or run as root so the sandbox can make cgroups under " + settings.cgroupParent()),
                    details);
        }
        String trialCgroup = "probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        EnvironmentCgroup cgroup = cgroups.forEnvironment(trialCgroup);
        try {
            cgroup.create(new Limits(64L << 20, 1, 16));
        } catch (IOException e) {
            return ProviderHealth.unavailable("cannot make a cgroup: " + e.getMessage(),
                    List.of("run as root, or delegate a cgroup v2 subtree to this user and set providers.sandbox.cgroup-parent"),
                    details);
        } finally {
            try {
                cgroup.remove(Duration.ofSeconds(2));
            } catch (IOException ignored) {
                // an empty probe cgroup left behind is harmless
            }
        }
        return ProviderHealth.available("bubblewrap " + details.get("bwrap.version") + ", cgroup " + cgroups.version()
                + " (" + String.join(",", cgroups.controllers()) + "), seccomp (libseccomp "
                + details.get("seccomp.libseccomp") + ")", details);
    }

    static String findOnPath(String name) {
        String path = System.getenv("PATH");
        List<String> dirs = new ArrayList<>(List.of((path == null ? "" : path).split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        return name;
    }

    static long hostMemoryBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    static FileAttribute<?> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    }

    private static String readTrimmed(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private record Outcome(int code, String output) {
    }

    /** {@code true} in a sandbox without cgroup, started the way commands are. */
    private static Outcome trial(SandboxSettings settings, SeccompFilter.Programs filter) {
        BwrapCommand.Rlimits rlimits = BwrapCommand.Rlimits.of(settings);
        Map<String, String> env = Map.of("PATH", settings.path());
        if (!settings.directLaunch()) {
            return exec(BwrapCommand.build(settings.bwrap(), List.of(), filter, rlimits, BwrapCommand.Layout.trial(), "",
                    settings.tmpSizeBytes(), env, List.of("true")));
        }
        try {
            HostProcess process = DirectLaunch.start(BwrapCommand.direct(settings.bwrap(), BwrapCommand.Layout.trial(), "",
                    settings.tmpSizeBytes(), env, List.of("true")), filter, List.of(), rlimits);
            try (var in = process.stdin(); var stdout = process.stdout(); var stderr = process.stderr()) {
                in.close();
                byte[] err = stderr.readNBytes(64 * 1024);
                byte[] out = stdout.readNBytes(64 * 1024);
                if (!process.waitFor(TRIAL_TIMEOUT)) {
                    process.killTree();
                    return new Outcome(-1, "timed out after " + TRIAL_TIMEOUT.toSeconds() + "s");
                }
                return new Outcome(process.exitCode(), new String(out, StandardCharsets.UTF_8)
                        + new String(err, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return new Outcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
    }

    private static Outcome exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readNBytes(64 * 1024);
            if (!process.waitFor(TRIAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Outcome(-1, "timed out after " + TRIAL_TIMEOUT.toSeconds() + "s");
            }
            return new Outcome(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Outcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
    }
}
