-- Outbound deliveries: callbacks (X-Callback-Url) and notifications (config notifications:).
--
-- A row is written in the same transaction as the status change that made a task terminal, so a
-- terminal status is never recorded without its deliveries, nor a delivery without its status.
-- Only terminal changes that have somewhere to go (a callback URL, a matching notification) write
-- rows: the common task without either costs the status write nothing.
--
-- The scheduler delivers the rows. It claims due rows FOR UPDATE SKIP LOCKED and pushes their
-- next_attempt_at forward by a lease in the same short transaction, then sends outside any
-- transaction (a slow receiver never holds a connection or a lock), then records the outcome. A
-- scheduler that dies mid-send leaves the row to be claimed again when the lease ends: a receiver
-- may see a delivery twice (it dedupes by webhook-id), never zero times.
--
-- V5 is taken by another change; this one does not depend on it.

create table outbox (
    id              bigint      generated always as identity,
    task_id         uuid        not null,
    status          text        not null,
    kind            text        not null,
    target          text        not null,
    url             text        not null,
    state           text        not null default 'pending',
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    delivered_at    timestamptz,
    constraint outbox_pk primary key (id),
    constraint outbox_task_status_target_uq unique (task_id, status, target),
    constraint outbox_status_check check (status in ('done', 'failed', 'skipped', 'cancelled', 'dead')),
    constraint outbox_kind_check check (kind in ('callback', 'notification')),
    constraint outbox_state_check check (state in ('pending', 'delivered', 'failed')),
    constraint outbox_attempts_check check (attempts >= 0),
    constraint outbox_delivered_check check ((state = 'delivered') = (delivered_at is not null))
);

comment on table outbox is
    'Outbound HTTP deliveries of terminal task statuses (callbacks and notifications), written in the same transaction '
    'as the status change and delivered with retries by the scheduler.';
comment on column outbox.id is 'Row id.';
comment on column outbox.task_id is 'The task (tasks.id) whose terminal status is delivered. No foreign key: tasks rows may be purged first.';
comment on column outbox.status is
    'The terminal status being delivered (done, failed, skipped, cancelled, dead). With task_id it forms the webhook-id callbacks carry.';
comment on column outbox.kind is 'callback (the task''s X-Callback-Url) or notification (a notifications: entry of the configuration).';
comment on column outbox.target is
    '"callback", or "notification:<name>". (task_id, status, target) is unique, so replaying the same status change enqueues nothing.';
comment on column outbox.url is 'Destination URL as it was when the row was written.';
comment on column outbox.state is
    'pending (waiting for its next attempt), delivered (a 2xx answer) or failed (max attempts used, refused by the SSRF guard, or the notification was removed).';
comment on column outbox.attempts is 'HTTP attempts made so far. Postponements (open circuit for the host, lease of a claim) do not count.';
comment on column outbox.next_attempt_at is
    'When the row is due for its next attempt (pending rows); while a scheduler sends it, the end of that scheduler''s lease.';
comment on column outbox.last_status is 'HTTP status of the last attempt; null if it got no response (connection error, timeout, refused).';
comment on column outbox.last_error is 'Why the last attempt failed (status line, exception message, SSRF refusal); null after success.';
comment on column outbox.created_at is 'When the row was written (the status change''s transaction).';
comment on column outbox.updated_at is 'When the row last changed.';
comment on column outbox.delivered_at is 'When a 2xx answer was received; null unless state is delivered.';

-- Due pending rows, earliest first: the scheduler's claim query.
create index outbox_due_idx on outbox (next_attempt_at) where state = 'pending';
comment on index outbox_due_idx is 'Pending outbox rows by due time, for the scheduler''s claim query.';
