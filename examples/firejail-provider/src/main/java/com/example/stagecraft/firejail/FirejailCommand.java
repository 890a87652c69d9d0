package com.example.stagecraft.firejail;

import dev.stagecraft.api.ExecRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The command line of one command in an environment: with a cgroup (a root host), {@code wrapper.sh} in a mount
 * namespace of its own joins it and mounts the sized /tmp, /dev and an empty /run; then firejail with everything it
 * can take away, then {@code env -i} so that the command holds only the request's variables.
 */
final class FirejailCommand {
    /** The PATH of every command (a request's own PATH replaces it). */
    static final String PATH = "/usr/local/bin:/usr/bin:/bin";
    /** How the wrapper exits when it could not set the command up; its stderr starts with {@link #WRAPPER_MARKER}. */
    static final int WRAPPER_FAILED = 125;
    static final String WRAPPER_MARKER = "stagecraft-firejail wrapper: ";
    private static final String WRAPPER = load("wrapper.sh");

    private FirejailCommand() {
    }

    static List<String> of(FirejailSettings settings, SandboxUser user, Path workspace, Path workingDir,
                           Optional<EnvironmentCgroup> cgroup, ExecRequest request) {
        List<String> argv = new ArrayList<>();
        cgroup.ifPresent(c -> argv.addAll(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                WRAPPER, "sh", c.procsFiles().stream().map(Path::toString).collect(Collectors.joining(" ")),
                Long.toString(settings.scratch()))));
        if (SandboxUser.hostIsRoot()) {
            // firejail runs the command as its caller: drop to the sandbox account first (firejail is setuid root).
            argv.addAll(List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--clear-groups"));
        }
        argv.addAll(List.of(settings.binary(), "--quiet", "--noprofile",
                "--net=none",                          // only lo inside
                "--private=" + workspace,              // the workspace is the home, and nothing else of the host's homes
                "--caps.drop=all", "--nonewprivs", "--seccomp", "--restrict-namespaces",
                "--nogroups", "--nosound", "--no3d",
                // the sandbox ends with the command: no process of it outlives the run, and its exit code is the command's
                "--deterministic-exit-code", "--deterministic-shutdown",
                "--rlimit-nofile=" + settings.openFiles(),
                // the host's /var stays visible: hide the kubelet's sockets (device plugins, pod resources) there
                "--blacklist=/var/lib/kubelet"));
        if (cgroup.isEmpty()) {
            // no wrapper: firejail's own (unsized) /tmp and /dev, the host's /run less its daemons' sockets, and the
            // per-account process limit instead of the cgroup's
            argv.addAll(List.of("--private-tmp", "--private-dev", "--blacklist=/run/docker.sock",
                    "--blacklist=/run/containerd", "--blacklist=/run/libvirt", "--blacklist=/run/dockershim.sock",
                    "--rlimit-nproc=" + settings.processes()));
        }
        if (settings.fileSize() > 0) {
            argv.add("--rlimit-fsize=" + settings.fileSize());
        }
        // No "--" before the program: with it, firejail 0.9.72 starts the command through /bin/sh -c, a process
        // inside that holds firejail's own variables (SHELL, container, ...).
        argv.addAll(List.of("/usr/bin/env", "-i", "-C", user.home().resolve(workspace.relativize(workingDir)).toString(),
                "PATH=" + PATH, "HOME=" + user.home()));
        request.env().forEach((name, value) -> argv.add(name + "=" + value));
        argv.addAll(request.argv());
        return argv;
    }

    private static String load(String resource) {
        try (InputStream in = FirejailCommand.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the plugin");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
