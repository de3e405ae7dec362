package dev.conveyor.producer.http;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which kind of extension serves a topic ({@code background}, {@code interactive},
 * {@code scheduled}), for refusing an interactive request to a topic that gives no HTTP answer:
 * from the process's own extensions when it loaded them ({@link IngressConfig#topicKinds()}),
 * else from {@code topic_kinds}, which every worker writes at start, re-read at most every
 * {@link #REFRESH_NANOS} ns. An unknown topic or an unreachable database answers null: the
 * request goes ahead as before.
 */
final class TopicKinds {

    private static final Logger log = LoggerFactory.getLogger(TopicKinds.class);
    static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final DSLContext dsl;
    private final Map<String, String> configured;
    private volatile Map<String, String> stored = Map.of();
    private volatile long loadedAt;
    private volatile boolean loaded;

    TopicKinds(DSLContext dsl, Map<String, String> configured) {
        this.dsl = dsl;
        this.configured = configured;
    }

    /** The kind serving {@code topic}, or null when not known. */
    String of(String topic) {
        String kind = configured.get(topic);
        if (kind != null) {
            return kind;
        }
        if (!loaded || System.nanoTime() - loadedAt > REFRESH_NANOS) {
            reload();
        }
        return stored.get(topic);
    }

    private synchronized void reload() {
        if (loaded && System.nanoTime() - loadedAt <= REFRESH_NANOS) {
            return; // another request reloaded meanwhile
        }
        try {
            Map<String, String> kinds = new HashMap<>();
            dsl.fetch("select topic, kind from topic_kinds").forEach(r -> kinds.put(r.get(0, String.class),
                    r.get(1, String.class)));
            stored = Map.copyOf(kinds);
        } catch (RuntimeException e) {
            log.debug("topic_kinds not readable now ({}); interactive requests are not checked", e.getMessage());
        }
        loadedAt = System.nanoTime();
        loaded = true;
    }
}
