-- Conveyor status tables (SPEC §5).
--
-- This file and its successors are the only source of the database schema: the jOOQ classes in
-- schema/src/generated are generated from a database migrated with them, and JooqDriftIT fails
-- the build when the two differ (regenerate with ops/dev/regenerate-jooq).
--
-- Tables are created unqualified, in the schema Flyway is pointed at (db.schema, default public).
--
-- Volume plan
--   * tasks is the hot table: one row per task, updated a few times in its life (queued ->
--     running -> terminal). fillfactor leaves room on each page for the new row versions. Large
--     payloads go to TOAST by PostgreSQL's default rule (rows over ~2 kB); lowering
--     toast_tuple_target to force it earlier was measured to make every insert several times
--     slower (each row is compressed), so it is left at the default.
--   * task_transitions is append-only and the largest table by far. It is a plain table today,
--     keyed (task_id, seq). A later migration turns it into a table partitioned by range on
--     "at" (one partition per day or month, the current table attached as the first partition;
--     the primary key becomes (task_id, seq, at) because a partitioned table's keys must
--     include the partition column). Retention then drops whole partitions older than the
--     configured age instead of running DELETEs, and finished tasks rows are purged by age in
--     batches. Nothing reads transitions except by task_id, so partition pruning is not needed
--     for reads; the partitioning exists for cheap retention.

-- --------------------------------------------------------------------------------------------
-- tasks
-- --------------------------------------------------------------------------------------------
create table tasks (
    id              uuid        not null,
    topic           text        not null,
    extension       text,
    kind            text        not null default 'background',
    type            text        not null,
    status          text        not null default 'queued',
    attempt         integer     not null default 1,
    reschedules     integer     not null default 0,
    output          text,
    result          jsonb,
    payload         bytea,
    content_type    text,
    callback_url    text,
    trace_id        text,
    idempotency_key text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    next_run_at     timestamptz,
    constraint tasks_pk primary key (id),
    constraint tasks_status_check check (status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint tasks_kind_check check (kind in ('background', 'interactive', 'scheduled', 'webhook')),
    constraint tasks_attempt_check check (attempt >= 1),
    constraint tasks_reschedules_check check (reschedules >= 0 and reschedules <= attempt),
    constraint tasks_topic_check check (length(topic) between 1 and 249),
    constraint tasks_next_run_check check (next_run_at is null or status in ('rescheduled', 'queued'))
) with (fillfactor = 85);

comment on table tasks is
    'One row per task: its current status and the facts an operator needs about it. History is in task_transitions.';
comment on column tasks.id is
    'Task id: a UUIDv7 given by the ingress or publisher (time-ordered, so ordering by id is ordering by creation). '
    'For CloudEvents whose id is not a UUID it is a name-based UUID of source and id; for plain Kafka records, of topic, partition and offset.';
comment on column tasks.topic is
    'Kafka topic the task was published to; selects the extension that runs it.';
comment on column tasks.extension is
    'Name of the extension that ran (or will run) the task; null until a worker has resolved one.';
comment on column tasks.kind is
    'background, interactive, scheduled (fired by a recurring schedule) or webhook (a background task whose signature the ingress verified).';
comment on column tasks.type is
    'Event type (CloudEvents type); the topic name for plain Kafka records.';
comment on column tasks.status is
    'Current status: queued (waiting in Kafka), running (an extension is executing it), done, failed, skipped, '
    'rescheduled (waiting in scheduled_deliveries for its countdown), cancelled (by an operator), dead (could not be processed at all).';
comment on column tasks.attempt is
    'Delivery number of the current or last execution, 1 on first delivery. Reschedules and retries both increase it.';
comment on column tasks.reschedules is
    'How many times the extension asked for a reschedule. Those do not count against max attempts; executions that threw '
    'or timed out do, and at delivery number attempt there have been attempt - 1 - reschedules of them.';
comment on column tasks.output is
    'Text the extension returned with fail or skip, or the message of the exception that failed the last attempt.';
comment on column tasks.result is
    'The extension''s last answer as JSON (result type, countdown, HTTP status and headers for interactive tasks).';
comment on column tasks.payload is
    'Event data as received (the Kafka record value), kept for inspection and operator retries.';
comment on column tasks.content_type is
    'Media type of payload (CloudEvents datacontenttype / content-type header).';
comment on column tasks.callback_url is
    'URL the final task record is POSTed to when the task reaches a terminal status (X-Callback-Url).';
comment on column tasks.trace_id is
    'Trace id (X-Trace-Id); when set, every transition is also published to the trace topic.';
comment on column tasks.idempotency_key is
    'Idempotency-Key given at ingress; a repeat on the same topic within 24 h returns this task instead of enqueuing another.';
comment on column tasks.created_at is
    'When the event was accepted (CloudEvents time, or the Kafka record timestamp for plain records).';
comment on column tasks.updated_at is
    'When this row last changed.';
comment on column tasks.started_at is
    'When the current or last execution started.';
comment on column tasks.finished_at is
    'When the task reached a terminal status (done, failed, skipped, cancelled, dead); null while it is not terminal.';
comment on column tasks.next_run_at is
    'When a rescheduled task is due to be delivered again; null otherwise.';

-- Listing by status (and topic), newest first: GET /v1/tasks?status=&topic=
create index tasks_status_topic_created_idx on tasks (status, topic, created_at desc);
-- Listing by topic alone, newest first.
create index tasks_topic_created_idx on tasks (topic, created_at desc);
-- Rescheduled tasks by due time (stats: scheduled backlog; operators: what runs next).
create index tasks_next_run_idx on tasks (next_run_at) where next_run_at is not null;
-- Idempotency: one task per (topic, key). The ingress frees a key older than 24 h by clearing it.
create unique index tasks_idempotency_key_uidx on tasks (topic, idempotency_key) where idempotency_key is not null;

-- --------------------------------------------------------------------------------------------
-- task_transitions
-- --------------------------------------------------------------------------------------------
create sequence task_transitions_seq as bigint;

create table task_transitions (
    task_id     uuid        not null,
    seq         bigint      not null default nextval('task_transitions_seq'),
    from_status text,
    to_status   text        not null,
    at          timestamptz not null default now(),
    attempt     integer     not null,
    reason      text,
    node        text,
    constraint task_transitions_pk primary key (task_id, seq),
    constraint task_transitions_from_check check (from_status is null or from_status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint task_transitions_to_check check (to_status in
        ('queued', 'running', 'done', 'failed', 'skipped', 'rescheduled', 'cancelled', 'dead')),
    constraint task_transitions_attempt_check check (attempt >= 1)
);
alter sequence task_transitions_seq owned by task_transitions.seq;

comment on table task_transitions is
    'Append-only history of every status change of every task. No foreign key to tasks: it is written in the same '
    'transaction as the tasks row, and must be droppable by partition without touching tasks.';
comment on column task_transitions.task_id is 'The task (tasks.id) whose status changed.';
comment on column task_transitions.seq is
    'Order of the change: increases with every transition written (one sequence for all tasks), so ordering a task''s rows by seq gives its history.';
comment on column task_transitions.from_status is 'Status before the change; null for the first record of a task.';
comment on column task_transitions.to_status is 'Status after the change.';
comment on column task_transitions.at is 'When the change happened (the clock of the node that made it).';
comment on column task_transitions.attempt is 'Delivery number the change belongs to.';
comment on column task_transitions.reason is
    'Why: the exception message of a failed execution, the output of fail/skip, the countdown of a reschedule, the operator action.';
comment on column task_transitions.node is 'Name of the node (worker, scheduler, ingress, operator CLI) that made the change.';

-- --------------------------------------------------------------------------------------------
-- scheduled_deliveries
-- --------------------------------------------------------------------------------------------
create table scheduled_deliveries (
    id            bigint      generated always as identity,
    task_id       uuid        not null,
    attempt       integer     not null,
    topic         text        not null,
    record_key    bytea,
    headers       jsonb       not null default '{}'::jsonb,
    payload       bytea,
    due_at        timestamptz not null,
    created_at    timestamptz not null default now(),
    claimed_by    text,
    claimed_until timestamptz,
    constraint scheduled_deliveries_pk primary key (id),
    constraint scheduled_deliveries_task_attempt_uq unique (task_id, attempt),
    constraint scheduled_deliveries_attempt_check check (attempt >= 1),
    constraint scheduled_deliveries_claim_check check ((claimed_by is null) = (claimed_until is null))
);

comment on table scheduled_deliveries is
    'The scheduler''s durable queue of future deliveries: rescheduled tasks and future-dated events. '
    'A row is deleted in the same step that its record is produced to Kafka (after Kafka acknowledged).';
comment on column scheduled_deliveries.id is 'Row id.';
comment on column scheduled_deliveries.task_id is 'The task to deliver (tasks.id; for a future-dated event, the id the ingress gave it).';
comment on column scheduled_deliveries.attempt is
    'Delivery number the produced record will carry in conveyor_attempt. (task_id, attempt) is unique, so writing the same reschedule twice is harmless.';
comment on column scheduled_deliveries.topic is 'Topic the record is produced to when due.';
comment on column scheduled_deliveries.record_key is 'Kafka key of the record to produce (the ordering key), or null.';
comment on column scheduled_deliveries.headers is 'Kafka headers of the record to produce, as a JSON object of name to text value.';
comment on column scheduled_deliveries.payload is 'Value of the record to produce (the event data).';
comment on column scheduled_deliveries.due_at is 'When the record must be produced.';
comment on column scheduled_deliveries.created_at is 'When the delivery was scheduled.';
comment on column scheduled_deliveries.claimed_by is 'Scheduler node that is producing this row now; null when unclaimed.';
comment on column scheduled_deliveries.claimed_until is
    'Lease end of the claim: if the claiming scheduler dies, another one takes the row after this time.';

create index scheduled_deliveries_due_idx on scheduled_deliveries (due_at);

-- --------------------------------------------------------------------------------------------
-- schedules
-- --------------------------------------------------------------------------------------------
create table schedules (
    name           text        not null,
    cron           text,
    every_interval interval,
    zone           text        not null default 'UTC',
    topic          text        not null,
    payload        bytea,
    content_type   text,
    enabled        boolean     not null default true,
    next_fire_at   timestamptz not null,
    last_fired_at  timestamptz,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint schedules_pk primary key (name),
    constraint schedules_cron_or_every_check check ((cron is null) <> (every_interval is null)),
    constraint schedules_every_positive_check check (every_interval is null or every_interval > interval '0')
);

comment on table schedules is 'Recurring executions: each fire publishes a scheduled task to the topic.';
comment on column schedules.name is 'Schedule name from configuration (schedules.<name>).';
comment on column schedules.cron is 'Cron expression (5 fields), evaluated in zone; null when the schedule runs at a fixed interval.';
comment on column schedules.every_interval is 'Fixed interval between fires; null when the schedule uses cron.';
comment on column schedules.zone is 'Time zone (IANA name) the cron expression is evaluated in.';
comment on column schedules.topic is 'Topic each fire publishes a task to.';
comment on column schedules.payload is 'Data of every fired task.';
comment on column schedules.content_type is 'Media type of payload.';
comment on column schedules.enabled is 'False pauses the schedule without losing it.';
comment on column schedules.next_fire_at is 'When the schedule fires next; advanced in the same transaction that publishes the fire.';
comment on column schedules.last_fired_at is 'When it last fired; null if never.';
comment on column schedules.created_at is 'When the schedule was first stored.';
comment on column schedules.updated_at is 'When the schedule last changed (configuration or fire).';

create index schedules_next_fire_idx on schedules (next_fire_at) where enabled;

-- --------------------------------------------------------------------------------------------
-- extension_configs
-- --------------------------------------------------------------------------------------------
create table extension_configs (
    extension  text        not null,
    config     jsonb       not null default '{}'::jsonb,
    version    integer     not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint extension_configs_pk primary key (extension),
    constraint extension_configs_object_check check (jsonb_typeof(config) = 'object')
);

comment on table extension_configs is
    'Per-extension JSON configuration, returned to the extension as Task.config(). Seeded from the extension''s declared defaults when first loaded; operators edit it.';
comment on column extension_configs.extension is 'Extension name.';
comment on column extension_configs.config is 'The configuration object.';
comment on column extension_configs.version is 'Increases on every change, so workers can tell a stale cached copy.';
comment on column extension_configs.created_at is 'When the row was seeded.';
comment on column extension_configs.updated_at is 'When the configuration last changed.';
