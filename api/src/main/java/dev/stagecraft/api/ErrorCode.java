package dev.stagecraft.api;

/** Stable error codes. Their names are part of the contract: scripts and callers match on them. */
public enum ErrorCode {
    /** No installed, healthy provider satisfies the requirement. */
    NO_PROVIDER,
    /** The named provider exists but cannot serve right now (its probe failed). */
    PROVIDER_UNAVAILABLE,
    /** The requirement or request is malformed or contradictory. */
    INVALID_REQUIREMENT,
    /** The configuration file or an override is malformed. */
    INVALID_CONFIGURATION,
    /** The backend refused or failed to create the environment. */
    PROVISIONING_FAILED,
    /** No environment with that id is known. */
    NOT_FOUND,
    /** The environment is not in a status that allows the operation. */
    ILLEGAL_STATE,
    /** A command could not be started or its outcome could not be collected. */
    EXEC_FAILED,
    /** A command exceeded its timeout and was killed. */
    EXEC_TIMEOUT,
    /** A file path would leave the environment's workspace. */
    PATH_ESCAPE,
    /** The provider does not support this operation. */
    UNSUPPORTED_OPERATION,
    /** A plugin could not be loaded or started. */
    PLUGIN_FAILED,
    /** An unexpected failure inside Stagecraft or a provider. */
    INTERNAL,
    /** A service call came without a valid credential (no key, an unknown one, or a revoked one). */
    UNAUTHENTICATED,
    /** The caller is known but may not do this. */
    FORBIDDEN,
    /** A request body or file is larger than the service accepts. */
    TOO_LARGE,
    /** The caller's quota (environments, resources) is used up; retry when something of it is freed. */
    QUOTA_EXCEEDED,
    /** The caller sent requests faster than its rate limit; retry after the time the service names. */
    RATE_LIMITED
}
