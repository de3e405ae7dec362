package dev.conveyor.worker.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The SSRF rule of outbound deliveries: a callback or notification must not reach the network
 * Conveyor runs in (a metadata service, a database, an admin port) unless
 * {@code callbacks.allow-private-networks} says so. Refused: every address that is not globally
 * routable unicast.
 * <ul>
 *   <li>IPv4: 0.0.0.0/8 (this network, 0.0.0.0), 10/8, 172.16/12 and 192.168/16 (private), 100.64/10
 *       (carrier-grade NAT), 127/8 (loopback), 169.254/16 (link-local, where cloud metadata services
 *       answer), 192.0.0/24 (IETF protocol assignments), 192.0.2/24, 198.51.100/24 and 203.0.113/24
 *       (documentation), 198.18/15 (benchmarking), 224/4 (multicast), 240/4 (reserved) and
 *       255.255.255.255 (broadcast).
 *   <li>IPv6: {@code ::} and {@code ::1}, fc00::/7 (unique-local), fec0::/10 (the old site-local),
 *       fe80::/10 (link-local), ff00::/8 (multicast) and 2001:db8::/32 (documentation).
 *   <li>IPv6 addresses that embed an IPv4 address are judged by that IPv4 address: IPv4-mapped
 *       (::ffff:0:0/96), IPv4-compatible (::/96, which holds {@code ::} and {@code ::1} as 0.0.0.0
 *       and 0.0.0.1), NAT64 (64:ff9b::/96) and 6to4 (2002::/16). Each of them can carry a packet to
 *       the IPv4 address inside, so {@code ::ffff:127.0.0.1} is as refused as {@code 127.0.0.1}.
 * </ul>
 *
 * <p>Delivery checks every address a host name resolves to whenever it opens a connection (DNS
 * can change between the configuration and the call), in the same resolution the connection then
 * uses (see {@code outbound.internal.CheckedDns}); start-up checks literal addresses in
 * notification URLs.
 */
public final class PrivateAddresses {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static final List<Block> REFUSED_IPV4 = List.of(
            Block.of("0.0.0.0/8"),
            Block.of("10.0.0.0/8"),
            Block.of("100.64.0.0/10"),
            Block.of("127.0.0.0/8"),
            Block.of("169.254.0.0/16"),
            Block.of("172.16.0.0/12"),
            Block.of("192.0.0.0/24"),
            Block.of("192.0.2.0/24"),
            Block.of("192.168.0.0/16"),
            Block.of("198.18.0.0/15"),
            Block.of("198.51.100.0/24"),
            Block.of("203.0.113.0/24"),
            Block.of("224.0.0.0/4"),
            Block.of("240.0.0.0/4")); // up to and with 255.255.255.255

    /** Checked after the embedded forms below, so {@code ::} and {@code ::1} are judged as IPv4. */
    private static final List<Block> REFUSED_IPV6 = List.of(
            Block.of("fc00::/7"),
            Block.of("fec0::/10"),
            Block.of("fe80::/10"),
            Block.of("ff00::/8"),
            Block.of("2001:db8::/32"));

    /** An IPv6 block whose addresses carry an IPv4 address at byte {@code at}. */
    private record Embedding(Block block, int at) {}

    private static final List<Embedding> EMBEDDING_IPV4 = List.of(
            new Embedding(Block.of("::ffff:0:0/96"), 12), // IPv4-mapped
            new Embedding(Block.of("::/96"), 12),          // IPv4-compatible
            new Embedding(Block.of("64:ff9b::/96"), 12),   // NAT64 well-known prefix
            new Embedding(Block.of("2002::/16"), 2));      // 6to4

    private PrivateAddresses() {}

    /** Whether calls to {@code address} are refused without {@code allow-private-networks}. */
    public static boolean isPrivate(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return REFUSED_IPV4.stream().anyMatch(b -> b.contains(bytes));
        }
        for (Embedding e : EMBEDDING_IPV4) {
            if (e.block().contains(bytes)) {
                byte[] ipv4 = Arrays.copyOfRange(bytes, e.at(), e.at() + 4);
                return REFUSED_IPV4.stream().anyMatch(b -> b.contains(ipv4));
            }
        }
        return REFUSED_IPV6.stream().anyMatch(b -> b.contains(bytes));
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

    /** The addresses whose first {@code bits} bits are those of {@code network}. */
    private record Block(byte[] network, int bits) {

        /** From CIDR notation; the address part is always a literal, so no DNS lookup happens. */
        static Block of(String cidr) {
            int slash = cidr.indexOf('/');
            String address = cidr.substring(0, slash);
            byte[] network = literal(address).getAddress();
            if (network.length == 4 && address.contains(":")) {
                // Java turns an IPv4-mapped literal into its IPv4 address; the block is IPv6.
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(network, 0, mapped, 12, 4);
                network = mapped;
            }
            return new Block(network, Integer.parseInt(cidr.substring(slash + 1)));
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }
    }
}
