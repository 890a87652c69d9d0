package dev.stagecraft.api;

/**
 * What a provider enforces on a networked environment's outbound connections, so that selection can drop a kind
 * that could not hold a requirement's {@link EgressPolicy}.
 *
 * @param deniesHostAndPrivate whether the host itself, link-local and private ranges are unreachable
 *                             ({@link EgressPolicy#DENIED_RANGES} and the host's own addresses)
 * @param cidrAllowlist        whether it can limit connections to {@link EgressPolicy#allowCidrs()}
 * @param hostAllowlist        whether it can limit connections to {@link EgressPolicy#allowHosts()}
 */
public record EgressControl(boolean deniesHostAndPrivate, boolean cidrAllowlist, boolean hostAllowlist) {
    /** Enforces nothing: a networked environment reaches whatever its host reaches. */
    public static final EgressControl NONE = new EgressControl(false, false, false);

    /** Why this control cannot hold {@code policy} on a networked environment, or null when it can. */
    public String shortfall(EgressPolicy policy) {
        if (!deniesHostAndPrivate) {
            return "cannot keep networked code off the host, link-local and private addresses";
        }
        if (!policy.allowCidrs().isEmpty() && !cidrAllowlist) {
            return "cannot limit connections to allowed address ranges";
        }
        if (!policy.allowHosts().isEmpty() && !hostAllowlist) {
            return "cannot limit connections to allowed host names";
        }
        return null;
    }
}
