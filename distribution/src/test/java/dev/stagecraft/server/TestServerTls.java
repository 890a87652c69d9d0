package dev.stagecraft.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.Settings;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.tls}: the server answers HTTPS with the certificate of the configured PKCS#12 key store (made here by
 * the JDK's keytool), a plain-HTTP request gets no answer, and a bad key store or password stops the settings with
 * one line naming the key.
 */
class TestServerTls {
    private static final String PASSWORD = "test-only-password";

    @TempDir
    Path dir;
    private Path keystore;
    private Path passwordFile;

    @BeforeEach
    void keyStore() throws Exception {
        keystore = dir.resolve("server.p12");
        passwordFile = dir.resolve("password");
        Files.writeString(passwordFile, PASSWORD + "\n");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(output).isZero();
    }

    @Test
    void servesHttpsWithTheConfiguredCertificateAndPlainHttpGetsNoAnswer() throws Exception {
        Path config = dir.resolve("stagecraft.yaml");
        Files.writeString(config, "server:\n  tls:\n    keystore: " + keystore + "\n    password-file: " + passwordFile + "\n");
        try (ServerFixture fixture = new ServerFixture(dir.resolve("state"), Map.of(), config)) {
            int port = fixture.server.address().getPort();
            String key = fixture.key("acme");
            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting()).connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> health = trusting.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.sslSession()).as("over TLS").isPresent();
            HttpResponse<String> ran = trusting.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/run"))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"argv\":[\"echo\",\"over tls\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ran.statusCode()).as(ran.body()).isEqualTo(200);
            assertThat(ran.body()).contains("\"stdout\":\"over tls\\n\"");

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("plain HTTP to the TLS port").isInstanceOf(IOException.class);
        }
    }

    @Test
    void aBadKeyStoreOrPasswordIsOneLineNamingTheKey() throws Exception {
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "not-the-password\n");
        assertThatThrownBy(() -> ServerSettings.from(server(keystore, wrong)))
                .hasMessageContaining("server.tls.keystore").hasMessageContaining("password").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> ServerSettings.from(server(dir.resolve("missing.p12"), passwordFile)))
                .hasMessageContaining("server.tls.keystore").hasMessageContaining("no such file");
        assertThatThrownBy(() -> ServerSettings.from(server(passwordFile, passwordFile)))
                .as("a file that is no key store").hasMessageContaining("server.tls.keystore")
                .hasMessageEndingWith("not a PKCS#12 key store");
        assertThatThrownBy(() -> ServerSettings.from(server(keystore, dir.resolve("missing"))))
                .hasMessageContaining("server.tls.password-file").hasMessageContaining("no such file");
        assertThatThrownBy(() -> ServerSettings.from(new Settings("stagecraft.yaml", "server",
                Map.of("tls", Map.of("keystore", keystore.toString())))))
                .hasMessageContaining("server.tls.password-file").hasMessageContaining("required");
        assertThatThrownBy(() -> ServerSettings.from(new Settings("stagecraft.yaml", "server",
                Map.of("tls", Map.of("cert", "x")))))
                .hasMessageContaining("cert").hasMessageContaining("unknown key");
        assertThat(ServerSettings.from(server(keystore, passwordFile)).tls()).isPresent();
    }

    private static Settings server(Path keystore, Path passwordFile) {
        return new Settings("stagecraft.yaml", "server",
                Map.of("tls", Map.of("keystore", keystore.toString(), "password-file", passwordFile.toString())));
    }

    /** A client context that trusts the certificate in the test's key store, and nothing else. */
    private SSLContext trusting() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore.toFile())) {
            store.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
