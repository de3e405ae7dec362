package dev.conveyor.producer.http;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.schema.kafka.KafkaClients;
import dev.conveyor.schema.kafka.ReplyRecords;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for interactive answers. Workers produce each answer to the replies topic with the task
 * id in {@code conveyor_task_id} (read by {@link ReplyRecords#taskId}); every ingress node reads
 * the whole topic (no consumer group, from the end when it starts) and completes the request
 * waiting for that id, ignoring answers meant for other nodes. The number of waiting requests is bounded.
 */
final class ReplyListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplyListener.class);

    private final Map<UUID, CompletableFuture<InteractiveResult>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int maxPending;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean stopping;

    ReplyListener(String bootstrap, Map<String, Object> kafkaClient, String topic, String node, int maxPending) {
        this.topic = topic;
        this.maxPending = maxPending;
        Map<String, Object> tuning = new java.util.HashMap<>();
        tuning.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        tuning.putAll(kafkaClient);
        Properties props = KafkaClients.consumer(bootstrap, null, node + "-replies", tuning);
        this.consumer = new KafkaConsumer<>(props);
        this.thread = Thread.ofPlatform().daemon().name("conveyor-replies").start(this::run);
    }

    /** True once the listener reads the replies topic; until then interactive requests wait for it. */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Registers a request waiting for {@code taskId}'s answer.
     *
     * @return the future answer, or null when too many requests are waiting already
     */
    CompletableFuture<InteractiveResult> register(UUID taskId) {
        if (size.incrementAndGet() > maxPending) {
            size.decrementAndGet();
            return null;
        }
        CompletableFuture<InteractiveResult> future = new CompletableFuture<>();
        pending.put(taskId, future);
        return future;
    }

    void forget(UUID taskId) {
        if (pending.remove(taskId) != null) {
            size.decrementAndGet();
        }
    }

    private void run() {
        try {
            List<TopicPartition> partitions = List.of();
            while (!stopping && partitions.isEmpty()) {
                try {
                    partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    log.warn("Replies topic {} not reachable yet; interactive requests wait", topic);
                }
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve now, so answers after this point are seen
            ready.countDown();
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    complete(r);
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                log.error("Reply listener woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            log.error("Reply listener stopped; interactive requests will time out", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void complete(ConsumerRecord<byte[], byte[]> r) {
        UUID taskId = ReplyRecords.taskId(r);
        if (taskId == null) {
            return; // not a reply of ours: no task id, or not a UUID
        }
        CompletableFuture<InteractiveResult> future = pending.remove(taskId);
        if (future == null) {
            return; // another node's request, or one that timed out
        }
        size.decrementAndGet();
        try {
            future.complete(JsonCodec.interactiveResult(Json.parse(r.value())));
        } catch (RuntimeException e) {
            future.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
