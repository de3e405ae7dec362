package dev.conveyor.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TaskIdsTest {

    @Test
    void newIdsAreVersion7AndIncrease() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(TaskIds.newId());
        }
        assertThat(ids).allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
        });
        assertThat(ids).doesNotHaveDuplicates();
        for (int i = 1; i < ids.size(); i++) {
            // Compare as unsigned text: v7 ids sort by time in their canonical form.
            assertThat(ids.get(i).toString()).isGreaterThan(ids.get(i - 1).toString());
        }
        long millis = ids.get(0).getMostSignificantBits() >>> 16;
        assertThat(millis).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
    }

    @Test
    void foreignEventIdsMapToStableNameBasedIds() {
        UUID a = TaskIds.forEvent("https://shop.example/orders", "order-42");
        assertThat(a).isEqualTo(TaskIds.forEvent("https://shop.example/orders", "order-42"));
        assertThat(a.version()).isEqualTo(5);
        assertThat(a).isNotEqualTo(TaskIds.forEvent("https://other.example", "order-42"));
        UUID uuid = UUID.randomUUID();
        assertThat(TaskIds.forEvent("any", uuid.toString())).isEqualTo(uuid);
        // UUID.fromString accepts "1-1-1-1-1"; a task id must not come from such text.
        assertThat(TaskIds.forEvent("s", "1-1-1-1-1").version()).isEqualTo(5);
    }

    @Test
    void canonicalTextParsesExactlyAsUuidFromString() {
        for (int i = 0; i < 1000; i++) {
            UUID uuid = UUID.randomUUID();
            assertThat(TaskIds.parseCanonical(uuid.toString())).isEqualTo(uuid);
            assertThat(TaskIds.parseCanonical(uuid.toString().toUpperCase(java.util.Locale.ROOT))).isEqualTo(uuid);
        }
        assertThat(TaskIds.parseCanonical("ffffffff-ffff-ffff-ffff-ffffffffffff"))
                .isEqualTo(new UUID(-1L, -1L));
        assertThat(TaskIds.parseCanonical(null)).isNull();
        assertThat(TaskIds.parseCanonical("1-1-1-1-1")).isNull();
        assertThat(TaskIds.parseCanonical("0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d1g")).isNull();
        assertThat(TaskIds.parseCanonical("0193a6f4-7c1e-7d2a-9b55+2f0c1e8a4d10")).isNull();
        assertThat(TaskIds.parseCanonical("0193a6f4-7c1e-7d2a-9b552-f0c1e8a4d10")).isNull();
        assertThat(TaskIds.parseCanonical("0193a6f4-7c1e-7d2a-9b55-2f0c1e8a4d1\uff10")).isNull();
    }

    @Test
    void plainRecordIdsDependOnTopicPartitionAndOffset() {
        UUID id = TaskIds.forRecord("orders", 2, 1234);
        assertThat(id).isEqualTo(TaskIds.forRecord("orders", 2, 1234));
        assertThat(id).isNotEqualTo(TaskIds.forRecord("orders", 2, 1235));
        assertThat(id).isNotEqualTo(TaskIds.forRecord("orders", 3, 1234));
        assertThat(id).isNotEqualTo(TaskIds.forRecord("quotes", 2, 1234));
    }
}
