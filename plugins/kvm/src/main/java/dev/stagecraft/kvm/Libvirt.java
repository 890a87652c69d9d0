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
