package dev.stagecraft.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.stagecraft.api.EnvironmentRequirement;
import dev.stagecraft.api.ProviderHealth;
import dev.stagecraft.api.ProvisioningException;
import dev.stagecraft.lambda.emulator.LambdaEmulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Signatures on the wire: the provider's real SDK calls pass the emulator's own SigV4 check, a wrong secret is
 * refused with 403 and reads as one line naming where the keys came from, an unsigned request and a body changed
 * after signing are refused.
 */
class TestLambdaSignatures {
    private static LambdaEmulator emulator;

    @TempDir
    Path stateDir;

    @BeforeAll
    static void start() {
        emulator = LambdaFixtures.emulator();
    }

    @AfterAll
    static void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void theProvidersSignedCallsPass() {
        try (LambdaProvider provider = LambdaFixtures.provider(emulator, stateDir)) {
            ProviderHealth health = provider.probe();
            assertThat(health.available()).as(health.reason()).isTrue();
            assertThat(health.details()).containsEntry("region", "us-east-1").containsKey("functions")
                    .containsEntry("concurrent-executions", "10");
            assertThat(health.details().get("credentials")).contains("profile 'test' of " + stateDir.resolve("credentials"));
        }
    }

    @Test
    void aWrongSecretIsRefusedAndNamesTheCredentialSource() {
        Map<String, Object> settings = LambdaFixtures.settings(emulator, stateDir, "a-wrong-secret");
        try (LambdaProvider provider = LambdaFixtures.provider(settings, stateDir)) {
            ProviderHealth health = provider.probe();
            assertThat(health.available()).isFalse();
            assertThat(health.reason()).contains("InvalidSignatureException (HTTP 403)")
                    .contains("AWS refused the credentials from profile 'test' of " + stateDir.resolve("credentials"))
                    .doesNotContain("\n");
            assertThat(health.remedies()).anyMatch(r -> r.contains(stateDir.resolve("credentials").toString()));
            Throwable thrown = catchThrowable(() -> provider.create(LambdaFixtures.spec(EnvironmentRequirement.builder().build())));
            assertThat(thrown).isInstanceOf(ProvisioningException.class);
            assertThat(thrown.getMessage()).startsWith("cannot create function stagecraft-test-")
                    .contains("InvalidSignatureException").doesNotContain("\n");
        }
    }

    @Test
    void anUnsignedRequestIsRefused() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                emulator.endpoint().resolve("/2016-08-19/account-settings/")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).hasValue("MissingAuthenticationTokenException");
    }

    /** The SDK's own signer signs a request; sent as signed it passes the check, with its body changed it does not. */
    @Test
    void aBodyChangedAfterSigningIsRefused() throws Exception {
        URI uri = emulator.endpoint().resolve("/2015-03-31/functions/stagecraft-absent/invocations");
        byte[] body = "{\"op\":\"exec\"}".getBytes(StandardCharsets.UTF_8);
        SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(uri)
                .putHeader("Content-Type", "application/json").build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsBasicCredentials.create(LambdaEmulator.Options.ACCESS_KEY, LambdaEmulator.Options.SECRET_KEY))
                .request(unsigned).payload(() -> new ByteArrayInputStream(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
                .putProperty(AwsV4HttpSigner.REGION_NAME, emulator.options().region()));
        assertThat(send(signed.request(), body).statusCode()).as("signed as sent: past the check, to the missing function")
                .isEqualTo(404);
        HttpResponse<String> changed = send(signed.request(), "{\"op\":\"get\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(changed.statusCode()).isEqualTo(403);
        assertThat(changed.headers().firstValue("x-amzn-ErrorType")).hasValue("InvalidSignatureException");
        assertThat(changed.body()).contains("The request signature we calculated does not match");
    }

    private static HttpResponse<String> send(SdkHttpRequest request, byte[] body) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.getUri()).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            if (!header.getKey().equalsIgnoreCase("host")) {
                header.getValue().forEach(v -> builder.header(header.getKey(), v));
            }
        }
        return HttpClient.newHttpClient().send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
