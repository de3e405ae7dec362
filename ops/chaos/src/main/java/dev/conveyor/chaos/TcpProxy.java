package dev.conveyor.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on 127.0.0.1 between one process and a server, so the suite can cut that one
 * process off: {@link #cut()} closes every connection it carries and blackholes new ones (accepted,
 * never answered, closed when the cut ends), as a network partition looks to a client; {@link #heal()}
 * lets connections through again.
 */
final class TcpProxy implements AutoCloseable {

    private final String name;
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private volatile boolean cut;
    private volatile boolean closed;

    TcpProxy(String name, int listenPort, int targetPort) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 200);
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        Thread.ofPlatform().daemon().name("proxy-" + name).start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections it carries now (each counted once per side). */
    int openConnections() {
        return open.size() / 2;
    }

    String name() {
        return name;
    }

    /** Closes every proxied connection and blackholes new ones until {@link #heal()}; returns how many were closed. */
    int cut() {
        cut = true;
        int n = 0;
        for (Socket s : open) {
            closeQuietly(s);
            n++;
        }
        open.clear();
        return n;
    }

    void heal() {
        cut = false;
        for (Socket s : held) {
            closeQuietly(s);
        }
        held.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            if (cut) {
                held.add(client); // blackhole: the client's connect succeeds, nothing ever answers
                continue;
            }
            Thread.ofVirtual().start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 5000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        if (cut) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        open.add(client);
        open.add(upstream);
        Thread.ofVirtual().start(() -> pump(client, upstream));
        Thread.ofVirtual().start(() -> pump(upstream, client));
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[32 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // One side closed or the cut closed both: the other pump ends too.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        cut();
        heal();
    }
}
