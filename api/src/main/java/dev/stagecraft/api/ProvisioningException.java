package dev.stagecraft.api;

/** The backend could not create or start an environment. Whatever was made has been cleaned up. */
public class ProvisioningException extends StagecraftException {
    public ProvisioningException(String message) {
        super(ErrorCode.PROVISIONING_FAILED, message);
    }

    public ProvisioningException(String message, Throwable cause) {
        super(ErrorCode.PROVISIONING_FAILED, message, cause);
    }
}
