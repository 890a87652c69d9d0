package dev.stagecraft.lambda.emulator;

/** An access key pair (and session token, or null) that the emulator accepts signatures of. */
public record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
}
