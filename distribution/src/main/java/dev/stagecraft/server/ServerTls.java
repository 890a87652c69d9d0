package dev.stagecraft.server;

import dev.stagecraft.api.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * {@code server.tls}: the server's certificate and key, from a PKCS#12 key store ({@code keystore}) whose password is
 * the first line of {@code password-file}. Read when the settings are checked, so that a bad one stops {@code serve}
 * before it listens, with one line naming the key.
 */
final class ServerTls {
    private static final Set<String> KEYS = Set.of("keystore", "password-file");

    private ServerTls() {
    }

    static Optional<SSLContext> from(Settings tls) {
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
        char[] password;
        try {
            String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
            password = text.lines().findFirst().orElse("").toCharArray();
        } catch (IOException e) {
            throw tls.invalid("password-file", "cannot read " + passwordFile + ": " + reason(e));
        }
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            if (Collections.list(store.aliases()).stream().noneMatch(alias -> isKey(store, alias))) {
                throw tls.invalid("keystore", keystore + " holds no private key with its certificate");
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return Optional.of(context);
        } catch (IOException | GeneralSecurityException e) {
            throw tls.invalid("keystore", "cannot read " + keystore + " as a PKCS#12 key store with the password in "
                    + passwordFile + ": " + reason(e));
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
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

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        String message = e.getMessage() == null ? "not a PKCS#12 key store" : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
