package dev.stagecraft.server;

/** Who sent a request: the tenant and the id of the key it presented (both empty for the unauthenticated probes). */
record Caller(String tenant, String keyId) {
    static final Caller NOBODY = new Caller("", "");
}
