package com.example.stagecraft.firejail;

import dev.stagecraft.api.ExecRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of one command in an environment: firejail with everything it can take away, then {@code env -i}
 * so that the command holds only the request's variables (firejail adds its own, such as {@code container}).
 */
final class FirejailCommand {
    /** The PATH of every command (a request's own PATH replaces it). */
    static final String PATH = "/usr/local/bin:/usr/bin:/bin";

    private FirejailCommand() {
    }

    static List<String> of(FirejailSettings settings, SandboxUser user, Path workspace, Path workingDir, ExecRequest request) {
        List<String> argv = new ArrayList<>();
        if (SandboxUser.hostIsRoot()) {
            // firejail runs the command as its caller: drop to the sandbox account first (firejail is setuid root).
            argv.addAll(List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--clear-groups"));
        }
        argv.addAll(List.of(settings.binary(), "--quiet", "--noprofile",
                "--net=none",                          // only lo inside
                "--private=" + workspace,              // the workspace is the home, and nothing else of the host's homes
                "--private-tmp", "--private-dev",      // an empty /tmp, a minimal /dev
                "--caps.drop=all", "--nonewprivs", "--seccomp",
                "--nogroups", "--nosound", "--no3d",
                "--blacklist=/run/docker.sock", "--blacklist=/run/containerd", "--blacklist=/run/libvirt",
                "--rlimit-nproc=" + settings.processes(),
                "--rlimit-nofile=" + settings.openFiles()));
        if (settings.fileSize() > 0) {
            argv.add("--rlimit-fsize=" + settings.fileSize());
        }
        argv.addAll(List.of("--", "/usr/bin/env", "-i", "-C", user.home().resolve(workspace.relativize(workingDir)).toString(),
                "PATH=" + PATH, "HOME=" + user.home()));
        request.env().forEach((name, value) -> argv.add(name + "=" + value));
        argv.addAll(request.argv());
        return argv;
    }
}
