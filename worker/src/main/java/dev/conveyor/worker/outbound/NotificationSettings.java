package dev.conveyor.worker.outbound;

import dev.conveyor.schema.TaskStatus;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of {@code notifications:} in {@code conveyor.yaml}: an HTTP request sent when a task
 * of one of {@link #topics} (all topics when empty) reaches one of the statuses {@link #on}.
 * Delivered through the outbox, with the retries and the SSRF rule of callbacks; a notification
 * that keeps failing is marked failed and counted, and never holds up a task.
 *
 * @param name unique name; rows are keyed {@code notification:<name>}
 * @param on terminal statuses that send it (default: all of them)
 * @param topics topics it applies to; empty means every topic
 * @param url absolute http or https URL
 * @param method GET, HEAD, POST (default), PUT, PATCH or DELETE; GET, HEAD and DELETE send no body
 * @param headers extra request headers, sent as given
 * @param payload the body, with {@code {task.*}} parameters (see {@link PayloadTemplate})
 */
public record NotificationSettings(String name, Set<TaskStatus> on, Set<String> topics, URI url, String method,
        Map<String, String> headers, PayloadTemplate payload) {

    public static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
    /** Headers the JDK HTTP client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host",
            "upgrade");
    public static final Set<TaskStatus> TERMINAL = Set.of(TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED,
            TaskStatus.CANCELLED, TaskStatus.DEAD);

    /** A notification setting that is wrong: {@link #field} names it, the message says why. */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String notification;
        private final String field;

        public Invalid(String notification, String field, String reason) {
            super(reason);
            this.notification = notification;
            this.field = field;
        }

        public String notification() { return notification; }
        public String field() { return field; }
    }

    public NotificationSettings {
        if (name == null || name.isBlank()) {
            throw new Invalid(name, "name", "must not be empty");
        }
        on = on == null || on.isEmpty() ? TERMINAL : Set.copyOf(on);
        for (TaskStatus s : on) {
            if (!s.isTerminal()) {
                throw new Invalid(name, "on", s.wireName() + " is not a terminal status; use " + terminalNames());
            }
        }
        topics = Set.copyOf(Objects.requireNonNullElse(topics, Set.of()));
        if (url == null) {
            throw new Invalid(name, "url", "is required");
        }
        checkUrl(name, url);
        method = method == null ? "POST" : method.toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw new Invalid(name, "method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, was '" + method + "'");
        }
        headers = Map.copyOf(Objects.requireNonNullElse(headers, Map.of()));
        for (String h : headers.keySet()) {
            if (RESTRICTED_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
                throw new Invalid(name, "headers", h + " is set by Conveyor and cannot be configured");
            }
        }
        payload = payload == null ? PayloadTemplate.defaults() : payload;
    }

    /** Parses a status name of {@code on}. */
    public static TaskStatus status(String notification, String wire) {
        TaskStatus s;
        try {
            s = TaskStatus.fromWire(wire.trim().toLowerCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new Invalid(notification, "on", "unknown status '" + wire + "'; use " + terminalNames());
        }
        if (!s.isTerminal()) {
            throw new Invalid(notification, "on", wire + " is not a terminal status; use " + terminalNames());
        }
        return s;
    }

    /** Parses {@code url}: absolute, http or https, with a host. */
    public static URI url(String notification, String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException | NullPointerException e) {
            throw new Invalid(notification, "url", "'" + text + "' is not a URL");
        }
        checkUrl(notification, uri);
        return uri;
    }

    private static void checkUrl(String notification, URI uri) {
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme))) {
            throw new Invalid(notification, "url", "'" + uri + "' must be an absolute http or https URL");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new Invalid(notification, "url", "'" + uri + "' has no host");
        }
    }

    /** Whether a task of {@code topic} that became {@code status} is sent this notification. */
    public boolean matches(String topic, TaskStatus status) {
        return on.contains(status) && (topics.isEmpty() || topics.contains(topic));
    }

    private static String terminalNames() {
        return "done, failed, skipped, cancelled, dead";
    }

    /** Header values are masked: they often carry tokens. */
    @Override
    public String toString() {
        return "NotificationSettings[name=" + name + ", on=" + on + ", topics=" + topics + ", url=" + url + ", method="
                + method + ", headers=" + headers.keySet() + ", payload=" + payload + "]";
    }
}
