package dev.conveyor.worker.outbound.internal;

import dev.conveyor.worker.outbound.PrivateAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.apache.hc.client5.http.DnsResolver;

/**
 * The only name resolution of outbound deliveries, and where the SSRF rule is applied: the HTTP
 * client asks it for the addresses of a destination when it opens a connection, and connects to
 * exactly the addresses returned, which are the ones just checked. Resolving once for the check and
 * again for the connection would let a DNS server answer a public address to the check and
 * {@code 127.0.0.1} to the connection (DNS rebinding). TLS is unaffected: the client still verifies
 * the certificate against, and sends SNI and {@code Host} for, the URL's host name.
 *
 * <p>A refused destination fails the connection with {@link Refused} before any socket is opened.
 */
final class CheckedDns implements DnsResolver {

    /** Host name to addresses: the system resolver in production, a stub in tests. */
    @FunctionalInterface
    interface Names {
        InetAddress[] resolve(String host) throws UnknownHostException;

        /** The system resolver ({@link InetAddress#getAllByName}). */
        static Names system() {
            return InetAddress::getAllByName;
        }
    }

    /** A destination the SSRF rule refuses; its message is what the outbox row records. */
    static final class Refused extends UnknownHostException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final Names names;
    private final Predicate<InetAddress> refused;

    /**
     * @param names resolves host names (never asked for literal addresses)
     * @param refused the SSRF rule ({@link PrivateAddresses#isPrivate}), or null to allow every address
     *     ({@code callbacks.allow-private-networks: true})
     */
    CheckedDns(Names names, Predicate<InetAddress> refused) {
        this.names = Objects.requireNonNull(names, "names");
        this.refused = refused;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress literal = PrivateAddresses.literal(host);
        InetAddress[] addresses = literal != null ? new InetAddress[] {literal} : names.resolve(host);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException("no address for " + host);
        }
        String why = refusal(host, addresses);
        if (why != null) {
            throw new Refused(why);
        }
        return addresses.clone();
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        InetAddress[] addresses = resolve(host);
        List<InetSocketAddress> out = new ArrayList<>(addresses.length);
        for (InetAddress a : addresses) {
            out.add(new InetSocketAddress(a, port));
        }
        return out;
    }

    @Override
    public String resolveCanonicalHostname(String host) {
        return host; // only used for Kerberos/SPNEGO, which outbound deliveries never do
    }

    /** Null when every address may be called; else why not, as recorded in the outbox row. */
    String refusal(String host, InetAddress[] addresses) {
        if (refused == null) {
            return null;
        }
        for (InetAddress address : addresses) {
            if (refused.test(address)) {
                return "refused: private address " + address.getHostAddress() + " (" + host
                        + "); set callbacks.allow-private-networks: true to allow it";
            }
        }
        return null;
    }
}
