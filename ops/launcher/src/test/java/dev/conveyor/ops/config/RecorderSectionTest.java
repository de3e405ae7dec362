package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.worker.recorder.RecorderConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code recorder:}: its defaults, the topics it records, and the keys and values that stop start-up. */
class RecorderSectionTest {

    @TempDir
    Path dir;

    private ConveyorConfig load(String yaml) throws Exception {
        return ConfigFiles.load(dir, yaml, Map.of());
    }

    @Test
    void byDefaultItRecordsTheConfiguredTopicsAndTheExtrasInAGroupNamedAfterThePrefix() throws Exception {
        RecorderConfig r = load("kafka: { topic-prefix: acme. }\ntopics: [orders]\n").recorder(Set.of("quotes"));
        assertThat(r.enabled()).isTrue();
        assertThat(r.group()).isEqualTo("acme.recorder");
        assertThat(r.topics()).containsExactlyInAnyOrder("orders", "quotes");
        assertThat(r.batchSize()).isEqualTo(RecorderConfig.DEFAULT_BATCH_SIZE);
    }

    @Test
    void anInvalidValueOrAnUnknownKeyStopsStartUpNamingIt() {
        assertThatThrownBy(() -> load("recorder: { batch-size: 0 }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("recorder.batch-size");
        assertThatThrownBy(() -> load("recorder: { batch-sise: 10 }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("did you mean recorder.batch-size?");
    }
}
