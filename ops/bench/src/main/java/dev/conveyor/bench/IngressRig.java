package dev.conveyor.bench;

import dev.conveyor.producer.http.IngressConfig;
import dev.conveyor.producer.http.IngressServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * The real HTTP ingress on 127.0.0.1 (an ephemeral port) with its own status tables and internal
 * topics, for W5 and W6.
 */
final class IngressRig implements AutoCloseable {

    static final Duration INTERACTIVE_TIMEOUT = Duration.ofSeconds(5);

    private final Infrastructure.Schema schema;
    private final IngressServer server;
    private final String prefix;

    private IngressRig(Infrastructure.Schema schema, IngressServer server, String prefix) {
        this.schema = schema;
        this.server = server;
        this.prefix = prefix;
    }

    /** Creates {@code topic} (and the internal topics the ingress uses) and starts the ingress. */
    static IngressRig start(BenchContext ctx, String name, String topic, int partitions) throws Exception {
        String prefix = ctx.prefix(name);
        ctx.infra().createTopic(topic, partitions);
        ctx.infra().createTopic(prefix + "replies", 1);
        ctx.infra().createTopic(prefix + "delayed", 1);
        Infrastructure.Schema schema = ctx.infra().schema(name, 8, ctx.settings().counters());
        try {
            ctx.progress().say(name + ": starting the ingress");
            IngressConfig config = IngressConfig.builder(ctx.infra().bootstrap())
                    .host("127.0.0.1")
                    .port(0)
                    .topics(Set.of(topic))
                    .topicPrefix(prefix)
                    .node("bench-ingress")
                    .interactiveTimeout(INTERACTIVE_TIMEOUT)
                    .build();
            IngressServer server = IngressServer.start(config, new IngressServer.Collaborators(schema.db(),
                    Clock.systemUTC()));
            return new IngressRig(schema, server, prefix);
        } catch (RuntimeException e) {
            schema.close();
            throw e;
        }
    }

    URI uri(String path) {
        return server.baseUri().resolve(path);
    }

    Infrastructure.Schema schema() {
        return schema;
    }

    String prefix() {
        return prefix;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            schema.close();
        }
    }
}
