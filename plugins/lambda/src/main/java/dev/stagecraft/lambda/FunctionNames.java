package dev.stagecraft.lambda;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The function of an environment: the prefix and the environment id ({@code stagecraft-<id>}). Lambda allows 64
 * characters; a longer name keeps the id's start and adds 8 hex digits of its SHA-256, so it stays one per id.
 */
final class FunctionNames {
    static final int MAX_LENGTH = 64;

    private FunctionNames() {
    }

    static String of(String prefix, String environmentId) {
        String name = prefix + environmentId;
        if (name.length() <= MAX_LENGTH) {
            return name;
        }
        String digest = sha256(environmentId).substring(0, 8);
        return name.substring(0, MAX_LENGTH - digest.length() - 1) + "-" + digest;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
