package dev.stagecraft.kvm;

import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/**
 * One connection to libvirtd, opened on first use and reopened when it has died (libvirtd restarted).
 * libvirt connections are thread-safe; domains are looked up by name for each operation, so that a
 * reconnect never leaves a stale handle behind.
 */
final class Libvirt implements AutoCloseable {
    private final String uri;
    private Connect connection;

    Libvirt(String uri) {
        this.uri = uri;
    }

    String uri() {
        return uri;
    }

    /**
     * libvirt's C library prints every error to stderr unless an error function is set; the errors still reach
     * us as exceptions (virGetLastError), so the one clear line stays ours. Kept in a static field: JNA must not
     * lose the callback to the garbage collector.
     */
    private static final org.libvirt.ErrorCallback SILENT = new org.libvirt.ErrorCallback();
    private static volatile boolean silenced;

    private static void silenceDefaultErrorPrinting() throws LibvirtException {
        if (!silenced) {
            Connect.setErrorCallback(SILENT);
            silenced = true;
        }
    }

    synchronized Connect connection() throws LibvirtException {
        if (connection != null) {
            boolean alive;
            try {
                alive = connection.isAlive();
            } catch (LibvirtException e) {
                alive = false;
            }
            if (alive) {
                return connection;
            }
            closeQuietly();
        }
        silenceDefaultErrorPrinting();
        connection = new Connect(uri, false);
        return connection;
    }

    /** The domain with that name, or empty when there is none. */
    Optional<Domain> lookup(String name) throws LibvirtException {
        try {
            return Optional.of(connection().domainLookupByName(name));
        } catch (LibvirtException e) {
            if (isNoDomain(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    static boolean isNoDomain(LibvirtException e) {
        Error error = e.getError();
        return error != null && error.getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN;
    }

    /** Whether the error says the domain is not running (or vanished) rather than that the call itself failed. */
    static boolean isNotRunning(LibvirtException e) {
        Error error = e.getError();
        return isNoDomain(e) || error != null && error.getCode() == Error.ErrorNumber.VIR_ERR_OPERATION_INVALID;
    }

    /**
     * Whether the error says the connection to libvirtd (or libvirtd's link to the guest agent) went away, as when
     * libvirtd restarts, rather than that the domain or the command itself failed: worth a reconnect and a retry
     * of an idempotent call.
     */
    static boolean isConnectionLost(LibvirtException e) {
        Error error = e.getError();
        if (error == null) {
            return false;
        }
        Error.ErrorNumber code = error.getCode();
        if (code == Error.ErrorNumber.VIR_ERR_NO_CONNECT || code == Error.ErrorNumber.VIR_ERR_INVALID_CONN
                || code == Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR || code == Error.ErrorNumber.VIR_ERR_RPC
                || error.getDomain() == Error.ErrorDomain.VIR_FROM_RPC || error.getDomain() == Error.ErrorDomain.VIR_FROM_REMOTE) {
            return true;
        }
        String text = message(e).toLowerCase(java.util.Locale.ROOT);
        // libvirt-java 0.5.2 has no constant for VIR_ERR_AGENT_UNRESPONSIVE: a restarted libvirtd needs a moment
        // to reattach to the agent's channel
        return text.contains("client socket is closed") || text.contains("agent is not connected")
                || text.contains("agent is not responding") || text.contains("cannot recv data")
                || text.contains("cannot write data") || text.contains("end of file");
    }

    /** A hint to append when the error says libvirtd cannot be reached; empty otherwise. */
    static String unreachableHint(LibvirtException e, String uri) {
        String message = message(e).toLowerCase(java.util.Locale.ROOT);
        if (isConnectionLost(e) || message.contains("connect") || message.contains("socket") || message.contains("closed")) {
            return " (is libvirtd running? 'virsh -c " + uri + " version')";
        }
        return "";
    }

    /** The first line of the deepest cause of a failed load of libvirt-java's native binding. */
    static String linkageMessage(Throwable e) {
        Throwable deepest = e;
        while (deepest.getCause() != null && deepest.getCause() != deepest) {
            deepest = deepest.getCause();
        }
        String text = String.valueOf(deepest.getMessage());
        return text.lines().findFirst().orElse(deepest.getClass().getSimpleName()).trim();
    }

    static String message(LibvirtException e) {
        Error error = e.getError();
        String text = error != null && error.getMessage() != null ? error.getMessage() : e.getMessage();
        return text == null ? e.toString() : text.trim();
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (LibvirtException | RuntimeException e) {
            // a dead connection may refuse to close; it is dropped either way
        }
        connection = null;
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            closeQuietly();
        }
    }
}
