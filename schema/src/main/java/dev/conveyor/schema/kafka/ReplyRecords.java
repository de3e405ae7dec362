package dev.conveyor.schema.kafka;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Records for the replies topic: the answer of an interactive task, sent to the topic named by the
 * task's {@code replyTo}, keyed and headed by the task id so the ingress node holding the request
 * can match it.
 */
public final class ReplyRecords {

    /** Header naming the task the reply answers. */
    public static final String TASK_ID = "conveyor_task_id";

    private ReplyRecords() {}

    /** The reply record answering {@code task} with {@code reply}. */
    public static ProducerRecord<byte[], byte[]> of(Task task, InteractiveResult reply) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(TASK_ID, utf8(task.id().toString()));
        headers.add("content-type", utf8("application/json"));
        // Json.toBytes, not toString(): the shared mapper recycles its buffers across the execution
        // threads, where toString() allocated ~16 KB of fresh buffers per answer.
        return new ProducerRecord<>(task.replyTo(), null, utf8(task.id().toString()),
                Json.toBytes(JsonCodec.toJson(reply)), headers);
    }

    /** The task a reply record answers, or null when it names none (or not a UUID). */
    public static UUID taskId(ConsumerRecord<byte[], byte[]> record) {
        Header id = record.headers().lastHeader(TASK_ID);
        if (id == null || id.value() == null) {
            return null;
        }
        try {
            return UUID.fromString(new String(id.value(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
