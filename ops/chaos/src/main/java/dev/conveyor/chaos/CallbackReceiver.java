package dev.conveyor.chaos;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The receiver of the tasks' {@code X-Callback-Url}: records every delivery (its {@code webhook-id},
 * which is {@code <task id>.<status>}, and when it came) and answers 200.
 */
final class CallbackReceiver implements AutoCloseable {

    /** One POST received. */
    record Delivery(String webhookId, long atMillis) {
        String taskId() {
            int dot = webhookId.indexOf('.');
            return dot < 0 ? webhookId : webhookId.substring(0, dot);
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    CallbackReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/callback", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            deliveries.add(new Delivery(id == null ? "missing-webhook-id" : id, System.currentTimeMillis()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/callback";
    }

    List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
