package dev.conveyor.worker.outbound.internal;

import dev.conveyor.worker.outbound.OutboundSettings;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP client deliveries go out through. Apache HttpClient 5 (async) rather than the JDK's
 * {@code HttpClient}, because it resolves names through a
 * {@link org.apache.hc.client5.http.DnsResolver} of ours ({@link CheckedDns}) and connects to exactly
 * the addresses it returns; the JDK client resolves on its own, after any check of ours. Redirects
 * are not followed (a redirect to a private address would bypass the SSRF rule), nothing is retried
 * behind our back (attempts are counted by the outbox), no cookies, no proxy.
 */
final class DeliveryClient implements AutoCloseable {

    private final CloseableHttpAsyncClient http;

    private DeliveryClient(CloseableHttpAsyncClient http) {
        this.http = http;
    }

    /** A started client resolving through {@code dns}; {@code tls} null means the JDK's default trust store. */
    static DeliveryClient start(OutboundSettings.Tuning tuning, CheckedDns dns, SSLContext tls) {
        Timeout timeout = Timeout.of(tuning.httpTimeout());
        ClientTlsStrategyBuilder tlsStrategy = ClientTlsStrategyBuilder.create();
        if (tls != null) {
            tlsStrategy.setSslContext(tls);
        }
        int connections = Math.max(8, tuning.batchSize());
        CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setDnsResolver(dns)
                        .setTlsStrategy(tlsStrategy.buildAsync())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(timeout)
                                .setSocketTimeout(timeout)
                                .build())
                        .setMaxConnPerRoute(connections)
                        .setMaxConnTotal(connections * 2)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(timeout)
                        .setConnectionRequestTimeout(timeout)
                        .setRedirectsEnabled(false)
                        .build())
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build())
                .setUserAgent("Conveyor")
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableConnectionState()
                .build();
        client.start();
        return new DeliveryClient(client);
    }

    /** Sends one request; the answer's body is read and dropped. */
    CompletableFuture<Message<HttpResponse, Void>> send(SimpleHttpRequest request) {
        CompletableFuture<Message<HttpResponse, Void>> response = new CompletableFuture<>();
        http.execute(SimpleRequestProducer.create(request),
                new BasicResponseConsumer<Void>(new DiscardingEntityConsumer<Void>()),
                new FutureCallback<Message<HttpResponse, Void>>() {
                    @Override
                    public void completed(Message<HttpResponse, Void> result) {
                        response.complete(result);
                    }

                    @Override
                    public void failed(Exception e) {
                        response.completeExceptionally(e);
                    }

                    @Override
                    public void cancelled() {
                        response.cancel(false);
                    }
                });
        return response;
    }

    /** Closes at once; the caller has awaited or cancelled every request it sent. */
    @Override
    public void close() {
        http.close(CloseMode.IMMEDIATE);
    }
}
