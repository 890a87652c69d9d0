package dev.stagecraft.server;

import dev.stagecraft.api.ErrorCode;

/** The one mapping from an {@link ErrorCode} to the HTTP status the API answers with (docs/server.md lists it). */
final class HttpStatuses {
    private HttpStatuses() {
    }

    static int of(ErrorCode code) {
        switch (code) {
            case INVALID_REQUIREMENT:
            case INVALID_CONFIGURATION:
            case PATH_ESCAPE:
                return 400;
            case UNAUTHENTICATED:
                return 401;
            case FORBIDDEN:
                return 403;
            case NOT_FOUND:
                return 404;
            case ILLEGAL_STATE:
                return 409;
            case TOO_LARGE:
                return 413;
            case QUOTA_EXCEEDED:
            case RATE_LIMITED:
                return 429;
            case NO_PROVIDER:
            case PROVIDER_UNAVAILABLE:
                return 503;
            default:
                return 500;
        }
    }
}
