package dev.conveyor.worker.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PrivateAddressesTest {

    /**
     * A refused block: its first and last address, and the addresses just below and just above it
     * (null where there is none, or where it lies in another refused block).
     */
    record Block(String cidr, String first, String last, String below, String above) {
        @Override
        public String toString() {
            return cidr;
        }
    }

    static Stream<Block> refusedBlocks() {
        return Stream.of(
                new Block("0.0.0.0/8", "0.0.0.0", "0.255.255.255", null, "1.0.0.0"),
                new Block("10/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"),
                new Block("100.64/10", "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"),
                new Block("127/8", "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"),
                new Block("169.254/16", "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"),
                new Block("172.16/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"),
                new Block("192.0.0/24", "192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"),
                new Block("192.0.2/24", "192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0"),
                new Block("192.168/16", "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"),
                new Block("198.18/15", "198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"),
                new Block("198.51.100/24", "198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0"),
                new Block("203.0.113/24", "203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0"),
                new Block("224/4", "224.0.0.0", "239.255.255.255", "223.255.255.255", null),
                new Block("240/4", "240.0.0.0", "255.255.255.255", null, null),
                new Block("::/128", "::", "::", null, null),
                new Block("::1/128", "::1", "::1", null, null),
                new Block("fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"),
                new Block("fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null),
                new Block("fec0::/10", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null),
                new Block("ff00::/8", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null),
                new Block("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedBlocks")
    void aBlockIsRefusedFromItsFirstToItsLastAddressAndNoFurther(Block block) {
        assertThat(refused(block.first())).as(block.first()).isTrue();
        assertThat(refused(block.last())).as(block.last()).isTrue();
        if (block.below() != null) {
            assertThat(refused(block.below())).as(block.below()).isFalse();
        }
        if (block.above() != null) {
            assertThat(refused(block.above())).as(block.above()).isFalse();
        }
    }

    /**
     * An IPv6 block that embeds an IPv4 address: its first and last address (embedding 0.0.0.0 and
     * 255.255.255.255, both refused), one embedding a refused and one a public IPv4 address, and the
     * addresses just outside, which are not judged by what their low bits would embed.
     */
    record Embedding(String cidr, String first, String last, String embedsLoopback, String embedsPublic,
            String below, String above) {
        @Override
        public String toString() {
            return cidr;
        }
    }

    static Stream<Embedding> embeddingBlocks() {
        return Stream.of(
                new Embedding("IPv4-mapped ::ffff:0:0/96", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
                        "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::fffe:ffff:ffff", "::1:0:0:0"),
                new Embedding("IPv4-compatible ::/96", "::", "::255.255.255.255",
                        "::127.0.0.1", "::8.8.8.8", null, "::1:0:0"),
                new Embedding("NAT64 64:ff9b::/96", "64:ff9b::", "64:ff9b::255.255.255.255",
                        "64:ff9b::127.0.0.1", "64:ff9b::8.8.8.8", "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff",
                        "64:ff9b::1:7f00:1"),
                new Embedding("6to4 2002::/16", "2002::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "2002:7f00:1::", "2002:808:808::", "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2003::"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("embeddingBlocks")
    void anEmbeddedIpv4AddressIsJudgedAsItself(Embedding block) {
        assertThat(refused(block.first())).as(block.first()).isTrue();
        assertThat(refused(block.last())).as(block.last()).isTrue();
        assertThat(refused(block.embedsLoopback())).as(block.embedsLoopback()).isTrue();
        assertThat(refused(block.embedsPublic())).as(block.embedsPublic()).isFalse();
        if (block.below() != null) {
            assertThat(refused(block.below())).as(block.below()).isFalse();
        }
        assertThat(refused(block.above())).as(block.above()).isFalse();
    }

    @Test
    void embeddedPrivateRangesAreRefusedInEveryForm() {
        assertThat(refused("::ffff:10.1.2.3")).isTrue();
        assertThat(refused("::ffff:169.254.169.254")).isTrue();
        assertThat(refused("64:ff9b::a9fe:a9fe")).isTrue(); // 169.254.169.254
        assertThat(refused("2002:c0a8:101::1")).isTrue();   // 192.168.1.1
        assertThat(refused("::ffff:100.64.0.1")).isTrue();
    }

    @Test
    void publicUnicastIsAllowed() {
        for (String a : new String[] {"8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111",
                "2a00:1450:4001:80b::200e"}) {
            assertThat(refused(a)).as(a).isFalse();
        }
    }

    @Test
    void aMappedLiteralThatJavaParsesAsIpv4IsRefusedToo() {
        // InetAddress.getByName turns "::ffff:127.0.0.1" into the Inet4Address 127.0.0.1; a
        // resolver may hand back the Inet6Address form, which refused() below builds.
        InetAddress parsed = PrivateAddresses.literal("[::ffff:127.0.0.1]");
        assertThat(PrivateAddresses.isPrivate(parsed)).isTrue();
    }

    /** The address of a literal, keeping an IPv4-mapped literal IPv6 as a resolver may return it. */
    private static boolean refused(String literal) {
        InetAddress a = PrivateAddresses.literal(literal);
        assertThat(a).as(literal).isNotNull();
        if (literal.contains(":") && a.getAddress().length == 4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(a.getAddress(), 0, mapped, 12, 4);
            try {
                a = Inet6Address.getByAddress(null, mapped, -1);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        return PrivateAddresses.isPrivate(a);
    }
}
