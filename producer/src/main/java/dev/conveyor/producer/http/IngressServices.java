package dev.conveyor.producer.http;

import dev.conveyor.producer.AcceptedTasks;
import dev.conveyor.producer.Publisher;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import java.util.List;

/**
 * The ingress's services, wired from its parts, and the order their routes are registered in:
 * request timing first, then authentication (before every {@code /v1} route), the three ways
 * events come in, the status API, health; errors become JSON last. Closing it closes what the
 * services opened themselves (the replies consumer, the stats admin client, the writer of accepted
 * tasks' rows).
 *
 * @param metrics the ingress's meters (the request timer is a routing filter)
 * @param auth bearer tokens on {@code /v1/*}
 * @param events {@code POST /v1/events/{topic}}
 * @param interactive {@code POST /v1/interactive/{topic}}
 * @param webhooks {@code POST /v1/webhooks/{source}}, and the sources' set-up steps
 * @param status the status API and the dashboard
 * @param health health and metrics endpoints
 * @param replies the interactive answers' listener
 * @param accepted writes the {@code queued} row of every task the ingress accepts, before the answer
 */
record IngressServices(IngressMetrics metrics, BearerAuth auth, EventsService events, InteractiveService interactive,
        WebhooksService webhooks, StatusService status, HealthService health, ReplyListener replies,
        AcceptedTasks accepted) implements AutoCloseable {

    /** The history's reason for the first transition of a task the ingress wrote the row of. */
    static final String ACCEPTED_REASON = "accepted by the ingress";

    /** Wires the services of an ingress; starts the replies listener. */
    static IngressServices wire(IngressParts parts) {
        IngressConfig config = parts.config();
        IngressMetrics metrics = new IngressMetrics(parts.meters());
        // Every way a task comes in (events, webhooks, interactive) has its row before its answer.
        AcceptedTasks accepted = AcceptedTasks.start(parts.store(), ACCEPTED_REASON, metrics.queuedWriteFailures());
        Publisher publisher = new Publisher(parts.producer(), config.topicPrefix(), parts.clock(), accepted);
        TaskEnqueuer enqueuer = new TaskEnqueuer(publisher, new IdempotencyKeys(parts.database().dsl(), parts.config().idempotencyWindow()), metrics,
                parts.clock());
        EventIntake intake = new EventIntake(config, new RequestLimits(config.maxBody(), config.maxInFlight()),
                publisher, enqueuer, parts.clock());
        TasksApi tasks = new TasksApi(parts.database().dsl(), parts.store(),
                task -> enqueuer.produce(task, null, TaskEnqueuer.MAY_BE_ENQUEUED_RETRY), parts.clock());
        StatsApi stats = new StatsApi(parts.database().dsl(), config, parts.clock());
        ReplyListener replies;
        try {
            replies = new ReplyListener(config.bootstrap(), config.kafkaClient(), config.repliesTopic(), config.node(),
                    config.maxPendingInteractive());
        } catch (RuntimeException e) {
            stats.close();
            accepted.close();
            throw e;
        }
        return new IngressServices(metrics, new BearerAuth(config.tokens()), new EventsService(intake),
                new InteractiveService(intake, replies,
                        new TopicKinds(parts.database().dsl(), config.topicKinds())), new WebhooksService(intake),
                new StatusService(parts.database().dsl(), tasks, stats, config.statusModes()),
                new HealthService(parts.database().dsl(), parts.producer(), config.repliesTopic(), parts.prometheus()),
                replies, accepted);
    }

    /**
     * Registers every route, in order, and the error handlers. Each service adds its routes to the
     * top-level routing itself rather than through {@code register(service)}, which would wrap them
     * in a service route of its own: the routing a request walks stays the flat list it was before
     * the ingress was cut into services.
     */
    void routing(HttpRouting.Builder routing) {
        routing.addFilter(metrics::timeRequest);
        for (HttpService service : List.<HttpService>of(auth, events, interactive, webhooks, status, health)) {
            service.routing(routing);
        }
        JsonResponses.handleErrors(routing);
    }

    @Override
    public void close() {
        replies.close();
        status.close();
        accepted.close();
    }
}
