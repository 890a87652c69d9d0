package dev.stagecraft.server;

import dev.stagecraft.api.Settings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code server.tls}: the server's certificate and key, from a PKCS#12 key store ({@code keystore}) whose password is
 * the first line of {@code password-file}. Read when the settings are checked, so that a bad one stops {@code serve}
 * before it listens, with one line naming the key; read again when the files change ({@link ReloadingKeyManager}).
 * With {@code client-ca} (PEM certificates) every client must also show a certificate that one of them signed.
 */
public final class ServerTls {
    private static final Set<String> KEYS = Set.of("keystore", "password-file", "client-ca");

    private final Path keystore;
    private final Path passwordFile;
    private final KeyStoreFiles.Keys first;
    private final List<Object> firstStamp;
    private final Optional<TrustManagerFactory> clientCa;

    private ServerTls(Path keystore, Path passwordFile, KeyStoreFiles.Keys first, List<Object> firstStamp,
                      Optional<TrustManagerFactory> clientCa) {
        this.keystore = keystore;
        this.passwordFile = passwordFile;
        this.first = first;
        this.firstStamp = firstStamp;
        this.clientCa = clientCa;
    }

    static Optional<ServerTls> from(Settings tls) {
        for (String key : tls.keys()) {
            if (!KEYS.contains(key)) {
                throw tls.invalid(key, "unknown key (known here: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
            }
        }
        if (tls.keys().isEmpty()) {
            return Optional.empty();
        }
        Path keystore = path(tls, "keystore");
        Path passwordFile = path(tls, "password-file");
        List<Object> stamp = KeyStoreFiles.stamp(keystore, passwordFile);
        Optional<TrustManagerFactory> clientCa = Optional.empty();
        try {
            KeyStoreFiles.Keys keys = KeyStoreFiles.read(keystore, passwordFile);
            if (tls.has("client-ca")) {
                clientCa = Optional.of(KeyStoreFiles.trusting(path(tls, "client-ca")));
            }
            return Optional.of(new ServerTls(keystore, passwordFile, keys, stamp, clientCa));
        } catch (KeyStoreFiles.Unreadable e) {
            throw tls.invalid(e.key, e.getMessage());
        }
    }

    /** Whether a client must show a certificate that {@code client-ca} signed. */
    public boolean asksClientCertificates() {
        return clientCa.isPresent();
    }

    /** The key store the server's certificate comes from. */
    public Path keystore() {
        return keystore;
    }

    /** A server context over the key read first, then over each renewed one; {@code events} hears of each reload. */
    SSLContext context(Consumer<Map<String, Object>> events) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new ReloadingKeyManager(keystore, passwordFile, first, firstStamp, events,
                    System::nanoTime)}, clientCa.map(TrustManagerFactory::getTrustManagers).orElse(null), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK offers no TLS context", e);
        }
    }

    private static Path path(Settings tls, String key) {
        String text = tls.string(key, "");
        if (text.isBlank()) {
            throw tls.invalid(key, "is required with server.tls");
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw tls.invalid(key, "'" + text + "' is not a path");
        }
    }
}
