package dev.conveyor.worker.outbound;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The SSRF rule of outbound deliveries: a callback or notification must not reach the network
 * Conveyor runs in (a metadata service, a database, an admin port) unless
 * {@code callbacks.allow-private-networks} says so. Refused: private (10/8, 172.16/12,
 * 192.168/16), loopback (127/8, ::1), link-local (169.254/16, fe80::/10), unique-local
 * (fc00::/7, and the old site-local fec0::/10) and unspecified (0.0.0.0, ::) addresses.
 *
 * <p>Delivery checks every address a host name resolves to whenever it opens a connection (DNS
 * can change between the configuration and the call), in the same resolution the connection then
 * uses (see {@code outbound.internal.CheckedDns}); start-up checks literal addresses in
 * notification URLs.
 */
public final class PrivateAddresses {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private PrivateAddresses() {}

    /** Whether calls to {@code address} are refused without {@code allow-private-networks}. */
    public static boolean isPrivate(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress()) {
            return true;
        }
        if (address instanceof Inet6Address) {
            byte first = address.getAddress()[0];
            return (first & 0xfe) == 0xfc;
        }
        return false;
    }

    /**
     * The address of a host that is a literal IP ({@code 10.0.0.1}, {@code [::1]}), without any
     * DNS lookup; null for a host name.
     */
    public static InetAddress literal(String host) {
        if (host == null) {
            return null;
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!IPV4.matcher(h).matches() && !h.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
