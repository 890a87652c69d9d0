package dev.stagecraft.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this host has what a networked sandbox needs: the direct launcher, slirp4netns, nsenter and nft. */
final class NetworkTools {
    private NetworkTools() {
    }

    /** The tools' absolute paths (posix_spawn takes no PATH), where a bare name is found on PATH. */
    static SandboxSettings.Network resolved(SandboxSettings.Network n) {
        return new SandboxSettings.Network(absolute(n.slirp4netns()), absolute(n.nsenter()), absolute(n.nft()), n.openCidrs());
    }

    private static String absolute(String tool) {
        return tool.contains("/") ? tool : Probe.findOnPath(tool);
    }

    /** What is missing, as a person would fix it, or null when nothing is. */
    static String missing(SandboxSettings s) {
        if (!s.directLaunch()) {
            return "networked sandboxes need the direct launcher (glibc 2.34 or later; launcher: auto or direct)";
        }
        SandboxSettings.Network n = s.network();
        for (String[] tool : new String[][] {{n.slirp4netns(), "slirp4netns"}, {n.nsenter(), "util-linux"}, {n.nft(), "nftables"}}) {
            if (!Files.isExecutable(Path.of(absolute(tool[0])))) {
                return tool[0] + " is missing (apt-get install " + tool[1] + ")";
            }
        }
        return null;
    }
}
