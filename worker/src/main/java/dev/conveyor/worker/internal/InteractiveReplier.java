package dev.conveyor.worker.internal;

import dev.conveyor.schema.kafka.ReplyRecords;
import dev.conveyor.worker.execution.ExecutionPlan;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers an interactive request as soon as its extension answered (the codec is {@link
 * ReplyRecords}): the caller is waiting, and its answer does not depend on the status write that
 * follows. If this worker dies before the status is durable, the task runs again and a second
 * answer goes to a request that is no longer waiting (ignored by the ingress).
 */
final class InteractiveReplier {

    private static final Logger log = LoggerFactory.getLogger(InteractiveReplier.class);

    private final Producer<byte[], byte[]> producer;

    InteractiveReplier(Producer<byte[], byte[]> producer) {
        this.producer = producer;
    }

    /** Sends the answer of {@code ended} if it is an interactive task with a reply topic; else nothing. */
    void reply(Execution.Ended ended) {
        Execution e = ended.execution();
        if (e.route().kind() != ExecutionPlan.Kind.INTERACTIVE || e.task().replyTo() == null) {
            return;
        }
        producer.send(ReplyRecords.of(e.task(), ended.invocation().interactiveReply()), (metadata, error) -> {
            if (error != null) {
                log.warn("Interactive answer for task {} could not be produced: {}", e.task().id(), error.getMessage());
            }
        });
    }
}
