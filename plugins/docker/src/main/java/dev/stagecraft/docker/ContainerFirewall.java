package dev.stagecraft.docker;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import dev.stagecraft.api.Cidr;
import dev.stagecraft.api.EgressPolicy;
import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.api.StagecraftException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Holds a networked runc container to its egress policy: after the container starts and before any command runs,
 * loads {@link EgressRules} into the container's own network namespace from outside, {@code nsenter
 * --net=/proc/PID/ns/net nft -f -}. The container has no CAP_NET_ADMIN, so nothing inside can undo them; they live as
 * long as the namespace, that is until the container stops (a start makes a new namespace: start loads them again).
 * Needs a local Engine, root, and nft and nsenter on this host ({@link #unavailable}).
 */
final class ContainerFirewall {
    private static final List<String> SYSTEM_PATH = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private ContainerFirewall() {
    }

    /** The private label that records a networked container's policy: {@code any}, or its allowed ranges. */
    static final String LABEL = DockerEnvironment.PRIVATE_PREFIX + "egress";

    static String label(EgressPolicy policy) {
        return policy.allowCidrs().isEmpty() ? "any" : String.join(",", policy.allowCidrs());
    }

    /** The policy a container's labels record, or null for a container made without network. */
    static EgressPolicy policyOf(java.util.Map<String, String> labels) {
        String value = labels.get(LABEL);
        if (value == null) {
            return null;
        }
        return value.equals("any") ? EgressPolicy.ANY : new EgressPolicy(List.of(), List.of(value.split(",")));
    }

    /** Why this provider cannot load rules into its containers' namespaces, or null when it can. */
    static String unavailable(DockerSettings s) {
        if (!"unix".equals(s.host().getScheme())) {
            return "the Engine at " + s.host() + " is remote: its containers' network namespaces are not on this host";
        }
        if (!root()) {
            return "this process is not root, so it cannot enter a container's network namespace";
        }
        for (String tool : List.of("nft", "nsenter")) {
            if (which(tool) == null) {
                return "no '" + tool + "' on this host (apt-get install " + (tool.equals("nft") ? "nftables" : "util-linux") + ")";
            }
        }
        return null;
    }

    /** Loads the rules for {@code policy} into the running container's namespace; fails in one line. */
    static void apply(Engine e, String id, String containerId, EgressPolicy policy, List<Cidr> open) {
        InspectContainerResponse inspected = e.call(ErrorCode.PROVISIONING_FAILED, "environment '" + id + "'",
                () -> e.client().inspectContainerCmd(containerId).exec());
        Long pid = inspected.getState().getPidLong();
        if (pid == null || pid <= 0) {
            throw new ProvisioningException("environment '" + id + "': the container does not run, so its egress rules"
                    + " cannot be loaded");
        }
        List<Cidr> host = hostAddresses();
        if (inspected.getNetworkSettings() != null && inspected.getNetworkSettings().getNetworks() != null) {
            for (ContainerNetwork network : inspected.getNetworkSettings().getNetworks().values()) {
                addParsed(host, network.getGateway());
                addParsed(host, network.getIpV6Gateway());
            }
        }
        String script = new EgressRules(policy, nameservers(inspected.getResolvConfPath()), host, open).script();
        run(id, script, which("nsenter"), "--net=/proc/" + pid + "/ns/net", which("nft"), "-f", "-");
    }

    private static void run(String id, String stdin, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(UTF_8));
            }
            String output = new String(p.getInputStream().readAllBytes(), UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ProvisioningException("environment '" + id + "': loading its egress rules did not end within 10 s");
            }
            if (p.exitValue() != 0) {
                throw new ProvisioningException("environment '" + id + "': cannot load its egress rules (nft exited "
                        + p.exitValue() + ": " + Engine.oneLine(output) + ")");
            }
        } catch (IOException e) {
            throw new ProvisioningException("environment '" + id + "': cannot load its egress rules: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StagecraftException(ErrorCode.INTERNAL, "interrupted while loading the egress rules of '" + id + "'", e);
        }
    }

    /** The nameservers of the container's resolv.conf (Docker's copy of the host's, on this host). */
    static List<Cidr> nameservers(String resolvConfPath) {
        List<Cidr> servers = new ArrayList<>();
        if (resolvConfPath == null || resolvConfPath.isEmpty()) {
            return servers;
        }
        try {
            for (String line : Files.readAllLines(Path.of(resolvConfPath))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length >= 2 && fields[0].equals("nameserver")) {
                    addParsed(servers, fields[1].replaceFirst("%.*$", ""));
                }
            }
        } catch (IOException unreadable) {
            // no nameserver passes: names do not resolve, which is the safe side
        }
        return servers;
    }

    /** Every address of this host's interfaces (what a container must not reach of the host itself). */
    private static List<Cidr> hostAddresses() {
        List<Cidr> addresses = new ArrayList<>();
        try {
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                for (InetAddress address : nic.inetAddresses().toList()) {
                    addParsed(addresses, address.getHostAddress().replaceFirst("%.*$", ""));
                }
            }
        } catch (SocketException e) {
            throw new ProvisioningException("cannot list this host's addresses for the egress rules: " + e.getMessage(), e);
        }
        return addresses;
    }

    private static void addParsed(List<Cidr> to, String address) {
        if (address == null || address.isEmpty()) {
            return;
        }
        try {
            to.add(Cidr.parse(address));
        } catch (StagecraftException notAnAddress) {
            // not an address literal: nothing to match
        }
    }

    private static boolean root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // the effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static String which(String tool) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SYSTEM_PATH);
        for (String dir : dirs) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
