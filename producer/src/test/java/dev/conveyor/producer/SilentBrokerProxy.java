package dev.conveyor.producer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * A Kafka-protocol proxy in front of the test broker that can go <em>silent</em>: requests still
 * reach the broker (so a produce request is written), but no response comes back to the client.
 * That is the fault behind an ambiguous produce: the broker appended the batch, the client timed
 * out and reported a failure.
 *
 * <p>Clients bootstrap through {@link #bootstrap()}. Metadata responses are rewritten so that every
 * broker is reached through a listener of this proxy (one per broker node), so all traffic,
 * including produce requests to partition leaders, goes through it. Loopback only.
 */
public final class SilentBrokerProxy implements AutoCloseable {

    private final Map<Integer, Listener> byNode = new ConcurrentHashMap<>();
    private final Listener bootstrapListener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger producesForwarded = new AtomicInteger();
    private volatile boolean silent;
    private volatile boolean closed;

    /** @param upstream {@code host:port} of the real broker's bootstrap listener */
    public SilentBrokerProxy(String upstream) throws IOException {
        int colon = upstream.lastIndexOf(':');
        bootstrapListener = new Listener(new InetSocketAddress(upstream.substring(0, colon),
                Integer.parseInt(upstream.substring(colon + 1))));
    }

    /** {@code 127.0.0.1:port} to give clients as their bootstrap servers. */
    public String bootstrap() {
        return "127.0.0.1:" + bootstrapListener.server.getLocalPort();
    }

    /** From now on (true) requests are forwarded to the broker but its responses are dropped; false resumes. */
    public void silent(boolean silent) {
        this.silent = silent;
    }

    /** Produce requests forwarded to the broker so far (whether or not their responses came back). */
    public int producesForwarded() {
        return producesForwarded.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(bootstrapListener.server);
        byNode.values().forEach(l -> closeQuietly(l.server));
        sockets.forEach(SilentBrokerProxy::closeQuietly);
    }

    /** One listening port of the proxy, forwarding to one broker address. */
    private final class Listener {
        final ServerSocket server;
        final InetSocketAddress target;

        Listener(InetSocketAddress target) throws IOException {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().name("silent-proxy-accept-" + server.getLocalPort()).start(this::accept);
        }

        private void accept() {
            while (!closed) {
                try {
                    Socket client = server.accept();
                    Socket broker = new Socket(target.getAddress(), target.getPort());
                    sockets.add(client);
                    sockets.add(broker);
                    Map<Integer, short[]> pending = new ConcurrentHashMap<>();
                    Thread.ofVirtual().start(() -> requests(client, broker, pending));
                    Thread.ofVirtual().start(() -> responses(broker, client, pending));
                } catch (IOException e) {
                    if (closed || server.isClosed()) {
                        return;
                    }
                }
            }
        }
    }

    /** Client to broker: every request is forwarded; its api key and version are noted by correlation id. */
    private void requests(Socket client, Socket broker, Map<Integer, short[]> pending) {
        try (DataInputStream in = new DataInputStream(client.getInputStream());
                DataOutputStream out = new DataOutputStream(broker.getOutputStream())) {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                RequestHeader header = RequestHeader.parse(ByteBuffer.wrap(frame));
                pending.put(header.correlationId(), new short[] {header.apiKey().id, header.apiVersion()});
                if (header.apiKey() == ApiKeys.PRODUCE) {
                    producesForwarded.incrementAndGet();
                }
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
            closeQuietly(broker);
        }
    }

    /** Broker to client: metadata rewritten to point at this proxy; nothing passes while silent. */
    private void responses(Socket broker, Socket client, Map<Integer, short[]> pending) {
        try (DataInputStream in = new DataInputStream(broker.getInputStream());
                DataOutputStream out = new DataOutputStream(client.getOutputStream())) {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                int correlationId = ByteBuffer.wrap(frame).getInt();
                short[] api = pending.remove(correlationId);
                if (silent) {
                    continue;
                }
                if (api != null && api[0] == ApiKeys.METADATA.id) {
                    frame = rewriteMetadata(frame, api[1]);
                }
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
            closeQuietly(broker);
        }
    }

    private byte[] rewriteMetadata(byte[] frame, short version) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(frame);
        short headerVersion = ApiKeys.METADATA.responseHeaderVersion(version);
        ResponseHeader header = ResponseHeader.parse(buffer, headerVersion);
        MetadataResponseData data = new MetadataResponseData(new ByteBufferAccessor(buffer), version);
        for (MetadataResponseData.MetadataResponseBroker b : data.brokers()) {
            Listener l = byNode.get(b.nodeId());
            if (l == null) {
                l = new Listener(new InetSocketAddress(b.host(), b.port()));
                Listener raced = byNode.putIfAbsent(b.nodeId(), l);
                if (raced != null) {
                    closeQuietly(l.server);
                    l = raced;
                }
            }
            b.setHost("127.0.0.1").setPort(l.server.getLocalPort());
        }
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int headerSize = header.size();
        int bodySize = data.size(cache, version);
        ByteBuffer rewritten = ByteBuffer.allocate(headerSize + bodySize);
        ByteBufferAccessor accessor = new ByteBufferAccessor(rewritten);
        header.data().write(accessor, new ObjectSerializationCache(), headerVersion);
        data.write(accessor, cache, version);
        return rewritten.array();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing a proxy socket that is already gone
        }
    }
}
