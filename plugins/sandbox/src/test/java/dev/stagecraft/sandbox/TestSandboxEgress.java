package dev.stagecraft.sandbox;

import dev.stagecraft.api.EnvironmentProvider;
import dev.stagecraft.tck.EgressContract;
import java.nio.file.Path;

/** The kit's egress battery on networked sandboxes: slirp4netns and the rules in each command's own namespace. */
class TestSandboxEgress extends EgressContract {
    @Override
    protected EnvironmentProvider newProvider(Path stateDir) {
        return SandboxFixtures.provider(stateDir);
    }

    /** The sandbox sees the host's userland: busybox-static's applets by name, as the hostile battery calls them. */
    @Override
    protected String tool(String name) {
        return "busybox " + name;
    }

    /** Debian's busybox-static wget crashes in the static C library's resolver (SIGSEGV, on the host too): curl. */
    @Override
    protected String fetchCommand(String url) {
        return "curl -sS -f -o /dev/null --max-time 15 " + url;
    }
}
