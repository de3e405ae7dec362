-- Idempotency keys whose event Kafka did not confirm (issue 15).
--
-- When the ingress's produce times out or its connection breaks after the batch was sent, the
-- record may have been written although the client got 503. The key then stays with its task id in
-- state 'unconfirmed' instead of being freed: a retry with the same key is enqueued again under the
-- same task id, so a record that did land and the retried one are one task, not two.

alter table idempotency_keys drop constraint idempotency_keys_state_check;
alter table idempotency_keys add constraint idempotency_keys_state_check
    check (state in ('pending', 'accepted', 'unconfirmed'));

comment on column idempotency_keys.state is
    'pending while a request is being enqueued (a concurrent repeat gets 409); accepted once Kafka acknowledged '
    'it; unconfirmed when Kafka did not confirm it in time (it may have been written): the next request with the '
    'key is enqueued again under the same task_id.';
comment on column idempotency_keys.task_id is
    'The task the first request with this key created; kept by retries of an unconfirmed or abandoned request.';
