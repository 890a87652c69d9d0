package dev.stagecraft.server;

/**
 * Who sent a request: the tenant and the id of the key it presented (both empty for the unauthenticated probes), and
 * whether that key is an operator's.
 */
record Caller(String tenant, String keyId, boolean operator) {
    static final Caller NOBODY = new Caller("", "", false);
}
