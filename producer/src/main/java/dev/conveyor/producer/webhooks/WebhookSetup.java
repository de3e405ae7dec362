package dev.conveyor.producer.webhooks;

import java.net.URI;

/**
 * An optional set-up step for a webhook source, run when the ingress starts: typically registering
 * the ingress's webhook URL with the sender. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.conveyor.producer.webhooks.WebhookSetup});
 * one applies to the source whose name {@link #source()} returns. A failure stops the ingress at
 * start with the source's name.
 */
public interface WebhookSetup {

    /** The name of the webhook source (key under {@code webhooks:}) this step belongs to. */
    String source();

    /**
     * Runs the step.
     *
     * @param source the source's configuration
     * @param webhookUrl where the ingress receives this source's webhooks
     * @throws Exception to stop start-up
     */
    void setUp(WebhookSource source, URI webhookUrl) throws Exception;
}
