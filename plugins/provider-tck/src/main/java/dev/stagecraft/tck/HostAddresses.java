package dev.stagecraft.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Optional;

/** This host's own addresses, as targets that code inside an environment without network must not reach. */
public final class HostAddresses {
    private HostAddresses() {
    }

    /** The first IPv4 address of an interface that is up and not loopback, if any. */
    public static Optional<String> firstIpv4() {
        try {
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                if (nic.isUp() && !nic.isLoopback()) {
                    for (InetAddress address : nic.inetAddresses().toList()) {
                        if (address instanceof Inet4Address) {
                            return Optional.of(address.getHostAddress());
                        }
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
