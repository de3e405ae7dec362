package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.ops.config.ConfigException;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.outbound.NotificationSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code callbacks:} and {@code notifications:}: parsing and every validation error. */
class OutboundConfigTest {

    @TempDir
    Path dir;

    private ConveyorConfig load(String yaml) throws Exception {
        Path file = dir.resolve("conveyor.yaml");
        Files.writeString(file, yaml);
        return ConveyorConfig.load(file, Map.of());
    }

    private void refused(String notification, String expected) {
        assertThatThrownBy(() -> load("notifications:\n  - " + notification + "\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(expected);
    }

    private static final String OK = "name: ops-alert, on: [failed, dead], url: \"https://hooks.example/alert\"";

    @Test
    void parsesCallbacksAndNotificationsForWorkerAndScheduler() throws Exception {
        ConveyorConfig c = load("""
                callbacks: { secret: "whsec_c2VjcmV0LXNlY3JldA==", max-attempts: 4, allow-private-networks: false }
                notifications:
                  - { name: ops-alert, on: [failed, dead], topics: [orders], url: "https://hooks.example/alert",
                      method: put, headers: { X-Source: conveyor }, payload: { text: "{task.topic} {task.id}" } }
                  - { name: all-done, url: "https://hooks.example/done" }
                """);
        OutboundSettings o = c.outbound();
        assertThat(o.callbacks().secret()).isEqualTo("whsec_c2VjcmV0LXNlY3JldA==");
        assertThat(o.callbacks().maxAttempts()).isEqualTo(4);
        NotificationSettings alert = o.notification("ops-alert").orElseThrow();
        assertThat(alert.method()).isEqualTo("PUT");
        assertThat(alert.on()).containsExactlyInAnyOrder(TaskStatus.FAILED, TaskStatus.DEAD);
        assertThat(alert.topics()).containsExactly("orders");
        assertThat(alert.headers()).containsEntry("X-Source", "conveyor");
        NotificationSettings done = o.notification("all-done").orElseThrow();
        assertThat(done.method()).isEqualTo("POST");
        assertThat(done.on()).hasSize(5);
        assertThat(o.notifications("orders", TaskStatus.FAILED)).extracting(t -> t.name())
                .containsExactly("ops-alert", "all-done");
        assertThat(o.notifications("quotes", TaskStatus.FAILED)).extracting(t -> t.name()).containsExactly("all-done");
        assertThat(o.notifications("orders", TaskStatus.RUNNING)).isEmpty();
        assertThat(c.worker().outbound()).isEqualTo(o);
        assertThat(c.scheduler(java.util.List.of()).outbound()).isEqualTo(o);
        assertThat(c.describe()).doesNotContain("c2VjcmV0").contains("***");
    }

    @Test
    void defaultsWithoutTheSections() {
        OutboundSettings o = ConveyorConfig.load(null, Map.of()).outbound();
        assertThat(o.callbacks().secret()).isNull();
        assertThat(o.callbacks().maxAttempts()).isEqualTo(10);
        assertThat(o.callbacks().allowPrivateNetworks()).isFalse();
        assertThat(o.notifications()).isEmpty();
    }

    @Test
    void environmentOverridesCallbacks() throws Exception {
        ConveyorConfig c = ConveyorConfig.load(null, Map.of("CONVEYOR_CALLBACKS_MAX_ATTEMPTS", "3",
                "CONVEYOR_CALLBACKS_ALLOW_PRIVATE_NETWORKS", "true"));
        assertThat(c.outbound().callbacks().maxAttempts()).isEqualTo(3);
        assertThat(c.outbound().callbacks().allowPrivateNetworks()).isTrue();
    }

    @Test
    void badCallbackSettings() {
        assertThatThrownBy(() -> load("callbacks: { max-attempts: 0 }")).hasMessageStartingWith("callbacks:")
                .hasMessageContaining("max-attempts");
        assertThatThrownBy(() -> load("callbacks: { secret: \"whsec_***\" }")).hasMessageContaining("not base64");
        assertThatThrownBy(() -> load("callbacks: { retries: 3 }")).hasMessageStartingWith("callbacks.retries: unknown key");
        assertThatThrownBy(() -> load("callbacks: { allow-private-networks: maybe }"))
                .hasMessageStartingWith("callbacks.allow-private-networks: must be true or false");
    }

    @Test
    void unknownTemplateParameter() {
        refused("{ " + OK + ", payload: { text: \"{task.foo} happened\" } }",
                "notifications[ops-alert].payload: unknown parameter {task.foo}");
    }

    @Test
    void methodOutsideTheAllowedSet() {
        refused("{ " + OK + ", method: TRACE }", "notifications[ops-alert].method: must be one of");
    }

    @Test
    void relativeOrBadUrl() {
        refused("{ name: ops-alert, url: \"/alert\" }", "notifications[ops-alert].url: '/alert' must be an absolute");
        refused("{ name: ops-alert, url: \"ftp://hooks.example/x\" }", "notifications[ops-alert].url:");
        refused("{ name: ops-alert, url: \"http://exa mple/x\" }", "notifications[ops-alert].url: 'http://exa mple/x' is not a URL");
        refused("{ name: ops-alert }", "notifications[ops-alert].url: is required");
    }

    @Test
    void unknownOrNonTerminalStatus() {
        refused("{ " + OK.replace("[failed, dead]", "[failed, exploded]") + " }",
                "notifications[ops-alert].on: unknown status 'exploded'");
        refused("{ " + OK.replace("[failed, dead]", "[running]") + " }",
                "notifications[ops-alert].on: running is not a terminal status");
    }

    @Test
    void duplicateName() {
        assertThatThrownBy(() -> load("notifications:\n  - { " + OK + " }\n  - { " + OK + " }\n"))
                .hasMessageStartingWith("notifications[ops-alert].name: duplicate notification name");
    }

    @Test
    void missingNameAndUnknownKeys() {
        refused("{ url: \"https://hooks.example/x\" }", "notifications[0].name: is required");
        refused("{ " + OK + ", body: {} }", "notifications[ops-alert].body: unknown key");
        refused("{ " + OK + ", headers: { Host: evil } }", "notifications[ops-alert].headers: Host is set by Conveyor");
    }

    @Test
    void literalPrivateAddressesAreRefusedAtStartUnlessAllowed() throws Exception {
        refused("{ name: internal, url: \"http://10.1.2.3/hook\" }",
                "notifications[internal].url: refused: private address 10.1.2.3");
        refused("{ name: internal6, url: \"http://[::1]:8080/hook\" }",
                "notifications[internal6].url: refused: private address");
        ConveyorConfig allowed = load("""
                callbacks: { allow-private-networks: true }
                notifications: [ { name: internal, url: "http://10.1.2.3/hook" } ]
                """);
        assertThat(allowed.outbound().notifications()).hasSize(1);
        assertThat(Set.of(allowed.outbound().notification("internal").orElseThrow().url().getHost()))
                .containsExactly("10.1.2.3");
    }
}
