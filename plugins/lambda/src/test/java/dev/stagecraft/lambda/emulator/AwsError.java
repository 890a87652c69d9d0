package dev.stagecraft.lambda.emulator;

import java.util.Map;

/**
 * An error as Lambda answers it: the HTTP status, the error type in {@code x-amzn-ErrorType}, and a JSON body
 * {@code {"Type":"User","Message":...}} (plus what some errors add, such as a throttle's {@code Reason}).
 */
final class AwsError extends RuntimeException {
    final int status;
    final String type;
    final Map<String, String> extra;

    AwsError(int status, String type, String message) {
        this(status, type, message, Map.of());
    }

    AwsError(int status, String type, String message, Map<String, String> extra) {
        super(message);
        this.status = status;
        this.type = type;
        this.extra = extra;
    }

    static AwsError notFound(String what) {
        return new AwsError(404, "ResourceNotFoundException", what);
    }

    static AwsError functionNotFound(String arn) {
        return notFound("Function not found: " + arn);
    }

    static AwsError conflict(String message) {
        return new AwsError(409, "ResourceConflictException", message);
    }

    static AwsError invalidParameter(String message) {
        return new AwsError(400, "InvalidParameterValueException", message);
    }

    static AwsError validation(String value, String member, String constraint) {
        return new AwsError(400, "ValidationException", "1 validation error detected: Value '" + value + "' at '" + member
                + "' failed to satisfy constraint: " + constraint);
    }

    static AwsError throttled(String reason) {
        return new AwsError(429, "TooManyRequestsException", "Rate Exceeded.", Map.of("Reason", reason));
    }
}
