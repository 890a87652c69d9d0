package dev.stagecraft.lambda;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * The Lambda client of one configuration (the SDK's, over the JDK's HttpURLConnection) and the one-line reading of
 * its failures. Every call goes through {@link #call}, so a person sees what was being done, what AWS answered, and,
 * for a refused credential, where that credential came from.
 */
final class LambdaApi implements AutoCloseable {
    private final LambdaClient client;
    private final CredentialSource credentials;
    private final Region region;
    private final String endpoint;

    LambdaApi(LambdaSettings settings, CredentialSource credentials, Region region) {
        this.credentials = credentials;
        this.region = region;
        this.endpoint = settings.endpoint().map(Object::toString).orElse("the " + region.id() + " endpoint");
        // A synchronous Invoke answers when the command ends: the read timeout outlasts the function timeout.
        var http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(settings.functionTimeout().plusSeconds(60));
        var builder = LambdaClient.builder().httpClientBuilder(http).region(region)
                .credentialsProvider(credentials.provider());
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.client = builder.build();
    }

    LambdaClient client() {
        return client;
    }

    Region region() {
        return region;
    }

    software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentialSourceProvider() {
        return credentials.provider();
    }

    String credentialSource() {
        return credentials.description();
    }

    /** Runs one SDK call; a failure becomes a {@link StagecraftException} of {@code code} saying what {@code doing} was. */
    <T> T call(ErrorCode code, String doing, Supplier<T> action) {
        try {
            return action.get();
        } catch (SdkException e) {
            throw new StagecraftException(code, describe(doing, e), e);
        }
    }

    /** One line: {@code cannot DOING: WHAT AWS SAID}, naming the credential source when AWS refused it. */
    String describe(String doing, SdkException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            String type = service.awsErrorDetails().errorCode();
            String message = firstLine(service.awsErrorDetails().errorMessage());
            String text = "cannot " + doing + ": " + type + " (HTTP " + service.statusCode() + "): " + message;
            if (credentialRefusal(type)) {
                return text + " — AWS refused the credentials from " + credentials.description();
            }
            return text;
        }
        Throwable root = rootCause(e);
        if (root instanceof ConnectException || root instanceof UnknownHostException) {
            return "cannot " + doing + ": cannot reach the Lambda endpoint " + endpoint + " (" + root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage())) + ")";
        }
        if (root instanceof SocketTimeoutException) {
            return "cannot " + doing + ": the Lambda endpoint " + endpoint + " did not answer in time";
        }
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("Unable to load credentials")) {
            return "cannot " + doing + ": no AWS credentials found in " + credentials.description();
        }
        return "cannot " + doing + ": " + firstLine(String.valueOf(e.getMessage()));
    }

    static boolean credentialRefusal(String errorType) {
        return errorType != null && (errorType.equals("InvalidSignatureException")
                || errorType.equals("UnrecognizedClientException") || errorType.equals("ExpiredTokenException")
                || errorType.equals("IncompleteSignatureException") || errorType.equals("AccessDeniedException"));
    }

    static boolean isNotFound(SdkException e) {
        return e instanceof AwsServiceException service && service.statusCode() == 404;
    }

    static String errorType(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AwsServiceException service && service.awsErrorDetails() != null) {
                return service.awsErrorDetails().errorCode();
            }
        }
        return "";
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        String trimmed = text.strip();
        int newline = trimmed.indexOf('\n');
        return newline < 0 ? trimmed : trimmed.substring(0, newline).strip();
    }

    @Override
    public void close() {
        client.close();
    }
}
