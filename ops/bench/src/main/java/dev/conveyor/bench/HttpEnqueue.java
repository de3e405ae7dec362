package dev.conveyor.bench;

import io.helidon.webserver.WebServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * W5: events/s through {@code POST /v1/events/{topic}} (each answer is 202 only once Kafka
 * acknowledged the record) from C keep-alive HTTP/1.1 connections, against the same client,
 * connections and body on a bare Helidon {@code POST /hello} endpoint in this JVM, the ceiling of
 * the HTTP stack on this machine. Every 202 must be a record on the topic.
 */
public final class HttpEnqueue implements Workload {

    /** Target: events/s at least this share of the bare endpoint's requests/s. */
    public static final double TARGET_RATIO = 0.6;
    private static final int PARTITIONS = 4;

    @Override
    public WorkloadId id() {
        return WorkloadId.W5;
    }

    @Override
    public Line run(BenchContext ctx) throws Exception {
        BenchSettings s = ctx.settings();
        String wrk = switch (s.client()) {
            case "java" -> null;
            case "wrk" -> {
                String found = ClosedLoop.findOnPath("wrk");
                if (found == null) {
                    throw new IllegalArgumentException("--client wrk: wrk is not on the PATH");
                }
                yield found;
            }
            default -> ClosedLoop.findOnPath("wrk");
        };
        byte[] body = Payload.bytes(7);
        Line line = new Line(id(), "HTTP enqueue");
        line.put("client", wrk != null ? "wrk" : "java-httpclient").put("http", "HTTP/1.1 keep-alive")
                .put("connections", s.connections()).put("seconds", s.httpSeconds())
                .put("warmup_seconds", s.httpWarmupSeconds()).put("body_bytes", body.length);
        if (wrk != null) {
            line.put("wrk_version", ClosedLoop.wrkVersion(wrk));
        }
        String topic = ctx.infra().name("w5");
        ClosedLoop loop = new ClosedLoop(ctx.progress(), s.connections(), s.httpSeconds(), s.httpWarmupSeconds(), wrk,
                body);
        ClosedLoop.Load events;
        ClosedLoop.Load hello;
        WebServer bare = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .routing(r -> r.post("/hello", (req, res) -> {
                    req.content().consume();
                    res.send("hello");
                }))
                .build()
                .start();
        try {
            URI helloUri = URI.create("http://127.0.0.1:" + bare.port() + "/hello");
            if (s.httpWarmupSeconds() > 0) {
                // The server stack and the client are the same for both endpoints: warm them up on
                // the bare endpoint first, so the events window does not pay for compiling them
                // while the bare endpoint, measured second, runs on compiled code.
                new ClosedLoop(ctx.progress(), s.connections(), s.httpWarmupSeconds(), 0, wrk, body)
                        .run("W5 server and client warm-up", helloUri, 200);
            }
            try (IngressRig ingress = IngressRig.start(ctx, "w5", topic, PARTITIONS)) {
                events = loop.run("W5 events", ingress.uri("/v1/events/" + topic), 202);
            }
            hello = loop.run("W5 bare HTTP", helloUri, 200);
        } finally {
            bare.stop();
        }
        long onTopic = recordsOn(ctx, topic);

        line.put("endpoint", "POST /v1/events/{topic}");
        line.put("events_per_s", Math.round(events.perSecond()));
        events.put(line, "events_", 202);
        line.put("bare_http_endpoint", "POST /hello (bare Helidon WebServer, same JVM)");
        line.put("bare_http_per_s", Math.round(hello.perSecond()));
        hello.put(line, "bare_http_", 200);
        double ratio = Line.ratio(events.perSecond(), hello.perSecond());
        line.put("ratio_bare_http", ratio);
        line.target("events_per_s >= " + TARGET_RATIO + " x bare_http_per_s", ratio >= TARGET_RATIO);
        // Every 202 (warm-up and measured) must be a record on the topic: nothing else writes to it.
        // The Java client waits for every answer, so the counts are equal; wrk drops the requests
        // still in flight when its time is up (at most one per connection per run), which the
        // ingress may well have enqueued.
        long accepted = events.warmupOk() + events.ok();
        long runs = s.httpWarmupSeconds() > 0 ? 2 : 1;
        long inFlightAtCutoff = wrk != null ? runs * s.connections() : 0;
        line.put("events_accepted_total", accepted).put("events_on_topic", onTopic);
        List<String> errors = new ArrayList<>();
        if (onTopic < accepted) {
            errors.add(accepted + " events were acknowledged with 202 but the topic holds only " + onTopic + " records");
        } else if (onTopic > accepted + inFlightAtCutoff) {
            errors.add("the topic holds " + onTopic + " records but only " + accepted + " events were acknowledged "
                    + "with 202 (at most " + inFlightAtCutoff + " unanswered requests expected)");
        }
        if (events.other() + events.warmupOther() > 0 || events.errors() > 0) {
            errors.add("events: " + (events.other() + events.warmupOther()) + " answers other than 202 and "
                    + events.errors() + " transport errors; first: " + events.sample());
        }
        if (hello.other() > 0 || hello.errors() > 0) {
            // The baseline's own failures do not fail the run (the ingress is not involved), but
            // they are the same Helidon server with the same defaults: worth a look.
            line.put("bare_http_warning", hello.other() + " answers other than 200 and " + hello.errors()
                    + " transport errors on the bare Helidon server; first: " + hello.sample());
        }
        if (events.ok() == 0 || hello.ok() == 0) {
            errors.add("no successful requests were measured");
        }
        if (!errors.isEmpty()) {
            line.fail(String.join("; ", errors));
        }
        return line;
    }

    /** Records on {@code topic}: the sum of its partitions' end offsets (nothing is ever deleted). */
    private static long recordsOn(BenchContext ctx, String topic) throws Exception {
        try (Admin admin = Admin.create(ctx.infra().adminProperties())) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset()).sum();
        }
    }
}
