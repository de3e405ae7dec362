-- Every task visible from the moment it is accepted (issue 17).
--
-- A task now gets its tasks row, status queued, with a first transition "-> queued" at its
-- acceptance time, when it is accepted: the ingress and the Java publisher write it once Kafka
-- acknowledged the record (one statement for all concurrent requests), and a recorder consumer
-- group writes it for records produced straight to a task topic. Those inserts never touch a row
-- that exists (a worker faster than the recorder has already moved the task on).
--
-- The record's Kafka key is kept, so an operator retry is produced with the same key and keeps
-- the task's place in its key's order.

alter table tasks add column kafka_key bytea;

comment on column tasks.kafka_key is
    'Key of the task''s Kafka record (null for a record without one). An operator retry is produced with the same key, '
    'so the task keeps its ordering key.';
comment on column tasks.idempotency_key is
    'Idempotency-Key the task was accepted with (header conveyor_idempotency_key on its record), for search; '
    'the 24 h deduplication itself is kept in idempotency_keys.';
comment on column tasks.created_at is
    'When the task was accepted: the ingress''s or publisher''s time (CloudEvents time), or the Kafka record '
    'timestamp for plain records.';

-- The queued backlog per topic and its oldest task come from tasks_status_topic_created_idx
-- (status, topic, created_at desc): one index descent per topic.
