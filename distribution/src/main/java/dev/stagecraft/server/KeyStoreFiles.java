package dev.stagecraft.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/** A PKCS#12 key store whose password is the first line of another file, read into a key manager. */
final class KeyStoreFiles {
    /** What was read: the key manager, and until when the certificate of its first key holds (empty: not X.509). */
    record Keys(X509ExtendedKeyManager manager, Optional<Instant> notAfter) {
    }

    /** Why the files could not be read: the settings key concerned ({@code keystore} or {@code password-file}) and one line. */
    static final class Unreadable extends Exception {
        final String key;

        Unreadable(String key, String message) {
            super(message, null, false, false);
            this.key = key;
        }
    }

    private KeyStoreFiles() {
    }

    static Keys read(Path keystore, Path passwordFile) throws Unreadable {
        char[] password;
        try {
            password = Files.readString(passwordFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").toCharArray();
        } catch (IOException e) {
            throw new Unreadable("password-file", "cannot read " + passwordFile + ": " + reason(e));
        }
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            List<String> keyAliases = Collections.list(store.aliases()).stream().filter(alias -> isKey(store, alias)).toList();
            if (keyAliases.isEmpty()) {
                throw new Unreadable("keystore", keystore + " holds no private key with its certificate");
            }
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            X509ExtendedKeyManager manager = Arrays.stream(factory.getKeyManagers())
                    .filter(X509ExtendedKeyManager.class::isInstance).map(X509ExtendedKeyManager.class::cast)
                    .findFirst().orElseThrow(() -> new GeneralSecurityException("no X.509 key manager"));
            Certificate certificate = store.getCertificate(keyAliases.get(0));
            Optional<Instant> notAfter = certificate instanceof X509Certificate x509
                    ? Optional.of(x509.getNotAfter().toInstant()) : Optional.empty();
            return new Keys(manager, notAfter);
        } catch (IOException | GeneralSecurityException e) {
            throw new Unreadable("keystore", "cannot read " + keystore + " as a PKCS#12 key store with the password in "
                    + passwordFile + ": " + reason(e));
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** Trust in the certificate authorities of a PEM file (one or more {@code BEGIN CERTIFICATE} blocks), for clients. */
    static TrustManagerFactory trusting(Path pem) throws Unreadable {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new Unreadable("client-ca", pem + " holds no certificate (PEM, BEGIN CERTIFICATE)");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int index = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("client-ca-" + index++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new Unreadable("client-ca", "cannot read " + pem + " as PEM certificates: " + reason(e));
        }
    }

    /** What tells the files apart from the ones read before: each one's modification time, size and file key. */
    static List<Object> stamp(Path keystore, Path passwordFile) {
        return List.of(stamp(keystore), stamp(passwordFile));
    }

    private static Object stamp(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return Arrays.asList(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
        } catch (IOException e) {
            return "unreadable";
        }
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        String message = e.getMessage() == null ? "not a PKCS#12 key store" : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
