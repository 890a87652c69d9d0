package dev.stagecraft.api;

import static java.util.Objects.requireNonNull;

/**
 * The one exception type of the SPI. It carries a stable {@link ErrorCode} and a message a person can act
 * on: what went wrong, about what, and where possible what to do.
 */
public class StagecraftException extends RuntimeException {
    private final ErrorCode code;

    public StagecraftException(ErrorCode code, String message) {
        super(requireNonNull(message, "message is null"));
        this.code = requireNonNull(code, "code is null");
    }

    public StagecraftException(ErrorCode code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    public ErrorCode code() {
        return code;
    }

    /** {@code CODE: message}, the one line shown to a person. */
    public String describe() {
        return code + ": " + getMessage();
    }

    public static StagecraftException invalidRequirement(String message) {
        return new StagecraftException(ErrorCode.INVALID_REQUIREMENT, message);
    }

    public static StagecraftException notFound(String environmentId) {
        return new StagecraftException(ErrorCode.NOT_FOUND, "no environment with id '" + environmentId + "'");
    }
}
