package dev.stagecraft.server;

import java.net.Socket;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server's key, read again from its files when they change (a renewed certificate), so that a running server
 * needs no restart. Each handshake looks at the files' modification times at most once per {@link #CHECK_EVERY_NANOS};
 * a key store that cannot be read (half written, wrong password) leaves the one read before in use and is reported
 * once, until the files change again. An alias names the generation it came from, so that a handshake begun before a
 * reload finishes with the key it chose.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
    static final long CHECK_EVERY_NANOS = 1_000_000_000L;

    private record Generation(int number, X509ExtendedKeyManager keys) {
    }

    private final Path keystore;
    private final Path passwordFile;
    private final Consumer<Map<String, Object>> events;
    private final LongSupplier nanoTime;
    private volatile Generation current;
    private volatile Generation previous;
    private List<Object> readStamp;
    private List<Object> failedStamp;
    private long checkedAt;

    /** {@code first}: the keys read when the settings were checked, from files that {@code firstStamp} describes. */
    ReloadingKeyManager(Path keystore, Path passwordFile, KeyStoreFiles.Keys first, List<Object> firstStamp,
                        Consumer<Map<String, Object>> events, LongSupplier nanoTime) {
        this.keystore = keystore;
        this.passwordFile = passwordFile;
        this.events = events;
        this.nanoTime = nanoTime;
        this.current = new Generation(0, first.manager());
        this.previous = current;
        this.readStamp = firstStamp;
        this.checkedAt = nanoTime.getAsLong();
    }

    private synchronized Generation fresh() {
        long now = nanoTime.getAsLong();
        if (now - checkedAt < CHECK_EVERY_NANOS) {
            return current;
        }
        checkedAt = now;
        List<Object> stamp = KeyStoreFiles.stamp(keystore, passwordFile);
        if (stamp.equals(readStamp) || stamp.equals(failedStamp)) {
            return current;
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event", "tls-reloaded");
        event.put("keystore", keystore.toString());
        try {
            KeyStoreFiles.Keys keys = KeyStoreFiles.read(keystore, passwordFile);
            previous = current;
            current = new Generation(current.number() + 1, keys.manager());
            readStamp = stamp;
            failedStamp = null;
            keys.notAfter().ifPresent(instant -> event.put("notAfter", instant.toString()));
        } catch (KeyStoreFiles.Unreadable e) {
            failedStamp = stamp;
            event.put("event", "tls-reload-failed");
            event.put("reason", "server.tls." + e.key + ": " + e.getMessage() + "; the key read before stays in use");
        }
        events.accept(event);
        return current;
    }

    private String named(Generation generation, String alias) {
        return alias == null ? null : generation.number() + ":" + alias;
    }

    private Generation generationOf(String alias) {
        if (alias == null) {
            return null;
        }
        String number = alias.substring(0, Math.max(alias.indexOf(':'), 0));
        Generation now = current;
        Generation before = previous;
        if (number.equals(Integer.toString(now.number()))) {
            return now;
        }
        return number.equals(Integer.toString(before.number())) ? before : null;
    }

    private static String bare(String alias) {
        return alias.substring(alias.indexOf(':') + 1);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        Generation generation = fresh();
        return named(generation, generation.keys().chooseEngineServerAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        Generation generation = fresh();
        return named(generation, generation.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Generation generation = current;
        String[] aliases = generation.keys().getServerAliases(keyType, issuers);
        return aliases == null ? null : Arrays.stream(aliases).map(alias -> named(generation, alias)).toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Generation generation = generationOf(alias);
        return generation == null ? null : generation.keys().getCertificateChain(bare(alias));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Generation generation = generationOf(alias);
        return generation == null ? null : generation.keys().getPrivateKey(bare(alias));
    }

    /** The server never authenticates as a client. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
