-- Precise scheduler wake-ups (LISTEN/NOTIFY).
--
-- Schedulers sleep until the earliest due_at they know of. When a delivery is inserted that may be
-- due earlier (a reschedule, a future-dated event), this trigger wakes them: one notification per
-- INSERT statement (not per row), carrying the earliest due_at of the statement as epoch seconds.
-- The channel is named after the schema, so several installations in one database do not wake
-- each other. Notifications are delivered on commit, so a woken scheduler always sees the rows.
-- A missed notification (a scheduler reconnecting) is covered by the schedulers' bounded safety poll.

create function conveyor_notify_scheduled_delivery() returns trigger
    language plpgsql as
$$
declare
    earliest timestamptz;
begin
    select min(due_at) into earliest from inserted_deliveries;
    if earliest is not null then
        perform pg_notify('conveyor_due_' || current_schema(), extract(epoch from earliest)::text);
    end if;
    return null;
end
$$;

comment on function conveyor_notify_scheduled_delivery() is
    'Wakes sleeping schedulers (channel conveyor_due_<schema>) with the earliest due_at of each insert into scheduled_deliveries.';

create trigger scheduled_deliveries_wake_schedulers
    after insert on scheduled_deliveries
    referencing new table as inserted_deliveries
    for each statement
    execute function conveyor_notify_scheduled_delivery();
