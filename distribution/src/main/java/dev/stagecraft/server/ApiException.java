package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;
import dev.stagecraft.api.StagecraftException;

/** A failure the server answers itself, with the HTTP status it calls for and, for 429, when to come back. */
final class ApiException extends StagecraftException {
    private final int status;
    private final long retryAfterSeconds;

    ApiException(int status, ErrorCode code, String message) {
        this(status, code, message, 0);
    }

    ApiException(int status, ErrorCode code, String message, long retryAfterSeconds) {
        super(code, message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    int status() {
        return status;
    }

    /** Seconds for a {@code Retry-After} header; 0 when none is sent. */
    long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, ErrorCode.INVALID_REQUIREMENT, message);
    }

    static ApiException tooLarge(String what, long most) {
        return new ApiException(413, ErrorCode.TOO_LARGE, what + " is larger than " + most + " bytes");
    }
}
