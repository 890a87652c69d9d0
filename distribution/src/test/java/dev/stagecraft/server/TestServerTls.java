package dev.stagecraft.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stagecraft.api.Settings;
import dev.stagecraft.tck.Deadline;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.tls}: the server answers HTTPS with the certificate of the configured PKCS#12 key store (made here by
 * the JDK's keytool), a plain-HTTP request gets no answer, a renewed key store is served without a restart (a broken
 * one is reported and the one before kept), the command line reaches it through a trust store given as a JVM option
 * (and says in one line what to do without one), with a client CA only clients showing a certificate it signed are
 * served, and a bad key store, password or CA file stops the settings with one line naming the key.
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
        makeKeyStore(keystore, "localhost");
    }

    private static void makeKeyStore(Path file, String commonName) throws Exception {
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + commonName, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(output).isZero();
    }

    private ServerFixture tlsServer() throws IOException {
        Path config = dir.resolve("stagecraft.yaml");
        Files.writeString(config, "server:\n  tls:\n    keystore: " + keystore + "\n    password-file: " + passwordFile + "\n");
        return new ServerFixture(dir.resolve("state"), Map.of(), config);
    }

    @Test
    void servesHttpsWithTheConfiguredCertificateAndPlainHttpGetsNoAnswer() throws Exception {
        try (ServerFixture fixture = tlsServer()) {
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
    void aRenewedKeyStoreIsServedWithoutARestartAndABrokenOneIsReportedAndNotServed() throws Exception {
        try (ServerFixture fixture = tlsServer()) {
            int port = fixture.server.address().getPort();
            assertThat(servedSubject(port)).isEqualTo("CN=localhost");

            Path renewed = dir.resolve("renewed.p12");
            makeKeyStore(renewed, "renewed");
            Files.move(renewed, keystore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Deadline.await(Duration.ofSeconds(20), "the renewed certificate served", () -> {
                try {
                    return servedSubject(port).equals("CN=renewed");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(fixture.log()).contains("\"event\":\"tls-reloaded\",\"keystore\":\"" + keystore + "\"")
                    .contains("\"notAfter\":");

            Files.writeString(keystore, "half written");
            Thread.sleep(2 * ReloadingKeyManager.CHECK_EVERY_NANOS / 1_000_000);
            assertThat(servedSubject(port)).as("the key read before stays").isEqualTo("CN=renewed");
            assertThat(servedSubject(port)).isEqualTo("CN=renewed");
            String failed = fixture.log().lines().filter(line -> line.contains("tls-reload-failed")).reduce("", String::concat);
            assertThat(failed).as("reported once, naming the key").contains("server.tls.keystore: cannot read " + keystore)
                    .containsOnlyOnce("tls-reload-failed");
        }
    }

    /** The subject of the certificate the server at {@code port} presents to a new connection. */
    private static String servedSubject(int port) throws Exception {
        AtomicReference<String> subject = new AtomicReference<>();
        X509TrustManager recording = new X509TrustManager() { // accepts any certificate, to see which one is served
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                subject.set(chain[0].getSubjectX500Principal().getName());
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("a client only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {recording}, null);
        HttpClient client = HttpClient.newBuilder().sslContext(context)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        return subject.get();
    }

    @Test
    void theCommandLineTrustsItThroughTheTrustStoreTheDocsNameAndSaysInOneLineWhenItDoesNot() throws Exception {
        Path trustStore = serverTrustStore();
        try (ServerFixture fixture = tlsServer()) {
            String server = "https://127.0.0.1:" + fixture.server.address().getPort();
            String key = fixture.key("acme");
            String[] trusting = {"-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=trust-password"};
            Cli ran = cli(key, trusting, "run", "--server", server, "--", "echo", "over tls");
            assertThat(ran.exit()).as(ran.err()).isZero();
            assertThat(ran.out()).isEqualTo("over tls\n");

            Cli refused = cli(key, new String[0], "run", "--server", server, "--", "echo", "x");
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.err().strip()).as("one line").doesNotContain("\n").doesNotContain("Exception")
                    .contains("cannot reach server " + server + ": TLS: the server's certificate is not trusted here")
                    .contains("-Djavax.net.ssl.trustStore=FILE");
        }
    }

    @Test
    void withAClientCaOnlyAClientShowingACertificateItSignedIsServed() throws Exception {
        Path ca = dir.resolve("ca.p12");
        Path caPem = dir.resolve("ca.pem");
        Path client = dir.resolve("client.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=test client CA", "-ext", "bc:c", "-storetype", "PKCS12", "-keystore", ca.toString(),
                "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-file", caPem.toString());
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=agent platform", "-storetype", "PKCS12", "-keystore", client.toString(), "-storepass", PASSWORD);
        keytool("-certreq", "-alias", "client", "-keystore", client.toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("client.csr").toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-rfc",
                "-infile", dir.resolve("client.csr").toString(), "-outfile", dir.resolve("client.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", client.toString(),
                "-storepass", PASSWORD);
        keytool("-importcert", "-alias", "client", "-file", dir.resolve("client.crt").toString(),
                "-keystore", client.toString(), "-storepass", PASSWORD);

        Path config = dir.resolve("stagecraft.yaml");
        Files.writeString(config, "server:\n  tls:\n    keystore: " + keystore + "\n    password-file: " + passwordFile
                + "\n    client-ca: " + caPem + "\n");
        try (ServerFixture fixture = new ServerFixture(dir.resolve("state"), Map.of(), config)) {
            URI health = URI.create("https://127.0.0.1:" + fixture.server.address().getPort() + "/healthz");
            HttpClient signed = HttpClient.newBuilder().sslContext(trusting(client)).build();
            assertThat(signed.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            Path trustStore = serverTrustStore();
            Cli ran = cli(fixture.key("acme"), new String[] {"-Djavax.net.ssl.trustStore=" + trustStore,
                    "-Djavax.net.ssl.trustStorePassword=trust-password", "-Djavax.net.ssl.keyStore=" + client,
                    "-Djavax.net.ssl.keyStorePassword=" + PASSWORD, "-Djavax.net.ssl.keyStoreType=PKCS12"},
                    "run", "--server", "https://127.0.0.1:" + fixture.server.address().getPort(), "--", "echo", "mutual");
            assertThat(ran.exit()).as("the command line shows the key store the JVM options name: " + ran.err()).isZero();
            assertThat(ran.out()).isEqualTo("mutual\n");

            for (SSLContext without : new SSLContext[] {trusting(), trusting(keystore)}) { // no certificate; one not signed by the CA
                HttpClient refused = HttpClient.newBuilder().sslContext(without).build();
                assertThatThrownBy(() -> refused.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
            }
        }
    }

    /** A trust store holding the server's certificate alone, as the docs tell a user of a private CA to make. */
    private Path serverTrustStore() throws Exception {
        Path certificate = dir.resolve("server.crt");
        Path trustStore = dir.resolve("trust.p12");
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "stagecraft", "-file", certificate.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", "trust-password");
        return trustStore;
    }

    private record Cli(int exit, String out, String err) {
    }

    /** The command line in a new JVM on the test class path, with {@code jvmOptions} as $STAGECRAFT_OPTS would add them. */
    private Cli cli(String key, String[] jvmOptions, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.stagecraft.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(dir.resolve("cli.err").toFile());
        builder.environment().put("STAGECRAFT_API_KEY", key);
        builder.environment().put("STAGECRAFT_STATE_DIR", dir.resolve("cli-state").toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Cli(process.exitValue(), out, Files.readString(dir.resolve("cli.err")));
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
        assertThatThrownBy(() -> ServerSettings.from(new Settings("stagecraft.yaml", "server", Map.of("tls", Map.of(
                "keystore", keystore.toString(), "password-file", passwordFile.toString(), "client-ca", passwordFile.toString())))))
                .as("a file without a certificate").hasMessageContaining("server.tls.client-ca").hasMessageNotContaining("\n");
        assertThat(ServerSettings.from(server(keystore, passwordFile)).tls()).isPresent();
    }

    private static Settings server(Path keystore, Path passwordFile) {
        return new Settings("stagecraft.yaml", "server",
                Map.of("tls", Map.of("keystore", keystore.toString(), "password-file", passwordFile.toString())));
    }

    /** A client context that trusts the certificate in the test's key store, and nothing else. */
    private SSLContext trusting() throws Exception {
        return trusting(null);
    }

    /** The same, showing the key and certificate of {@code clientKeyStore} when the server asks (null: none). */
    private SSLContext trusting(Path clientKeyStore) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(keystore));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (clientKeyStore != null) {
            keys.init(load(clientKeyStore), PASSWORD.toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(clientKeyStore == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(file.toFile())) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }
}
