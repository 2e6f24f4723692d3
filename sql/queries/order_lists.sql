-- Order lists (OCO): the list row of the exactly-once pipeline. Its legs are order rows
-- (orders.order_list_id) moved by the same forward-only statements as any order
-- (order_pipeline.sql); these statements move the list row beside them.

-- name: order_lists_insert
-- The intent, once per (client, idempotency key): no row back when the key is taken (a
-- concurrent duplicate waits here for the winner's commit, then reads its row).
INSERT INTO order_lists
    (id, client_id, credential_id, symbol, list_client_order_id, idempotency_key, position_id)
VALUES
    (%(id)s, %(client_id)s, %(credential_id)s, %(symbol)s, %(list_client_order_id)s,
     %(idempotency_key)s, %(position_id)s)
ON CONFLICT (client_id, idempotency_key) DO NOTHING
RETURNING id, client_id, credential_id, symbol, list_client_order_id, exchange_list_id,
          status, attempts, last_error_code, last_error_message, reject_reason,
          idempotency_key, position_id, submitted_at, created_at, updated_at;

-- name: order_lists_by_idempotency_key
SELECT id, client_id, credential_id, symbol, list_client_order_id, exchange_list_id,
       status, attempts, last_error_code, last_error_message, reject_reason,
       idempotency_key, position_id, submitted_at, created_at, updated_at
FROM order_lists
WHERE client_id = %(client_id)s AND idempotency_key = %(idempotency_key)s;

-- name: order_lists_get
SELECT id, client_id, credential_id, symbol, list_client_order_id, exchange_list_id,
       status, attempts, last_error_code, last_error_message, reject_reason,
       idempotency_key, position_id, submitted_at, created_at, updated_at
FROM order_lists
WHERE id = %(order_list_id)s;

-- name: order_lists_lock
-- The lock order of a list's placement: the list row first, then its legs (by id).
SELECT id, client_id, credential_id, symbol, list_client_order_id, exchange_list_id,
       status, attempts, last_error_code, last_error_message, reject_reason,
       idempotency_key, position_id, submitted_at, created_at, updated_at
FROM order_lists
WHERE id = %(order_list_id)s
FOR UPDATE;

-- name: order_lists_legs
-- The list's legs in id order (the order every multi-row lock of orders takes).
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id
FROM orders o
WHERE o.order_list_id = %(order_list_id)s
ORDER BY o.id;

-- name: order_lists_begin_submit
-- The pre-send write of the list row (its legs move by pipeline_begin_submit in the same
-- transaction): only from the status the checks saw. submitted_at is the time of the
-- last request that could have created the list: it moves only when this attempt sends
-- (from accepted), not when it only looks a previous one up.
UPDATE order_lists
SET status = 'submitting',
    attempts = attempts + 1,
    submitted_at = CASE WHEN status = 'accepted' THEN now() ELSE submitted_at END
WHERE id = %(order_list_id)s AND status = %(expected_status)s
RETURNING attempts;

-- name: order_lists_mark_sending
UPDATE order_lists SET submitted_at = now()
WHERE id = %(order_list_id)s AND status = 'submitting';

-- name: order_lists_set_pre_venue_status
-- accepted (nothing was sent: send again) or unknown (it may exist: look it up first).
UPDATE order_lists
SET status = %(status)s,
    last_error_code = coalesce(%(error_code)s, last_error_code),
    last_error_message = coalesce(%(error_message)s, last_error_message)
WHERE id = %(order_list_id)s AND status IN ('accepted', 'submitting', 'unknown');

-- name: order_lists_mark_placed
-- The venue holds the list (an ack, or found by its client id): from here on its legs
-- say the rest. A list already closed stays as it is (forward only).
UPDATE order_lists
SET status = 'placed',
    exchange_list_id = coalesce(exchange_list_id, %(exchange_list_id)s)
WHERE id = %(order_list_id)s AND status IN ('accepted', 'submitting', 'unknown');

-- name: order_lists_close_without_venue
-- rejected (a check, a permanent refusal, a kill switch, a cancel before the send) or
-- failed (gave up): neither leg exists at the venue.
UPDATE order_lists
SET status = %(status)s,
    reject_reason = %(reject_reason)s,
    last_error_code = coalesce(%(error_code)s, last_error_code),
    last_error_message = coalesce(%(error_message)s, last_error_message)
WHERE id = %(order_list_id)s AND status IN ('accepted', 'submitting', 'unknown')
RETURNING status;

-- name: order_lists_without_live_job
-- Belt and braces: a list not yet at the venue that no pending job will ever advance.
SELECT l.id
FROM order_lists l
WHERE l.status IN ('accepted', 'submitting', 'unknown')
  AND l.updated_at < now() - make_interval(secs => %(min_age_s)s)
  AND NOT EXISTS (
      SELECT 1 FROM procrastinate_jobs j
      WHERE j.args ->> 'order_list_id' = l.id::text AND j.status IN ('todo', 'doing')
  )
LIMIT %(limit)s;
