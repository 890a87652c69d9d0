package dev.stagecraft.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * An IPv4 or IPv6 address range, {@code address/prefix}, with the host bits cleared ({@code 10.1.2.3/8} reads as
 * {@code 10.0.0.0/8}); a bare address is a range of one.
 *
 * @param address the first address of the range
 * @param prefix  how many leading bits are fixed (0-32 for IPv4, 0-128 for IPv6)
 */
public record Cidr(InetAddress address, int prefix) {
    private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    public Cidr {
        requireNonNull(address, "address is null");
        int bits = address.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix " + prefix + " is out of range 0-" + bits);
        }
        address = masked(address, prefix);
    }

    /** Parses {@code 203.0.113.0/24}, {@code 2001:db8::/32} or a bare address; never looks a name up. */
    public static Cidr parse(String text) {
        requireNonNull(text, "cidr is null");
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String host = slash < 0 ? trimmed : trimmed.substring(0, slash);
        boolean v4 = V4.matcher(host).matches();
        if (!v4 && !V6.matcher(host).matches()) {
            throw invalid(text, "not an IPv4 or IPv6 address");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw invalid(text, "not an IPv4 or IPv6 address");
        }
        int bits = address.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw invalid(text, "the prefix must be a number");
            }
            if (prefix < 0 || prefix > bits) {
                throw invalid(text, "the prefix must be 0-" + bits);
            }
        }
        return new Cidr(address, prefix);
    }

    public boolean ipv4() {
        return address.getAddress().length == 4;
    }

    /** Whether {@code other} lies wholly inside this range. */
    public boolean contains(Cidr other) {
        return ipv4() == other.ipv4() && other.prefix >= prefix && masked(other.address, prefix).equals(address);
    }

    @Override
    public String toString() {
        String text = address.getHostAddress();
        return text + "/" + prefix;
    }

    private static InetAddress masked(InetAddress address, int prefix) {
        byte[] bytes = address.getAddress();
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            bytes[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four or sixteen bytes: cannot happen
        }
    }

    private static StagecraftException invalid(String text, String why) {
        return StagecraftException.invalidRequirement("'" + text + "' is not an address range (CIDR such as "
                + "203.0.113.0/24): " + why);
    }

}
