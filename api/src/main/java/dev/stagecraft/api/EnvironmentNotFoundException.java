package dev.stagecraft.api;

/** No environment with the given id is known to the manager or to its provider. */
public class EnvironmentNotFoundException extends StagecraftException {
    public EnvironmentNotFoundException(String environmentId) {
        super(ErrorCode.NOT_FOUND, "no environment with id '" + environmentId + "'");
    }
}
