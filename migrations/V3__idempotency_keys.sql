-- Idempotency keys of accepted events (Idempotency-Key header, webhook message ids).
--
-- Only requests that carry a key touch this table. A key maps to the first task accepted with it
-- for 24 hours; a repeat returns that task and enqueues nothing. Rows older than the window are
-- replaced on the next use of the key and purged in batches by the ingress.
--
-- This replaces the unique index on tasks(topic, idempotency_key) of V1: tasks rows are written by
-- workers, after the event was accepted, which is too late to refuse a duplicate; and a key must
-- become reusable after 24 h, which a unique index on tasks cannot express.

drop index tasks_idempotency_key_uidx;
create index tasks_idempotency_key_idx on tasks (idempotency_key) where idempotency_key is not null;

create table idempotency_keys (
    scope      text        not null,
    key        text        not null,
    task_id    uuid        not null,
    state      text        not null default 'pending',
    created_at timestamptz not null default now(),
    constraint idempotency_keys_pk primary key (scope, key),
    constraint idempotency_keys_state_check check (state in ('pending', 'accepted')),
    constraint idempotency_keys_key_check check (length(key) between 1 and 255)
);

comment on table idempotency_keys is
    'Idempotency keys of accepted events: a repeat within 24 h returns the first task id and enqueues nothing.';
comment on column idempotency_keys.scope is 'What the key is unique within: "topic:<topic>" for Idempotency-Key, "webhook:<source>" for webhook message ids.';
comment on column idempotency_keys.key is 'The key as the client sent it.';
comment on column idempotency_keys.task_id is 'The task the first request with this key created.';
comment on column idempotency_keys.state is
    'pending while the first request is being enqueued (a concurrent repeat gets 409), accepted once Kafka acknowledged it.';
comment on column idempotency_keys.created_at is 'When the key was first used; the key is free again 24 h later.';

create index idempotency_keys_created_idx on idempotency_keys (created_at);
