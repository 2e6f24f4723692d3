-- name: insert_order_intent
-- A new intent in one statement: the order, only if the credential is the client's and
-- not revoked, and its `accepted` event. No row back: the key is taken (a replay, or a
-- reuse) or the credential is not usable; the caller then finds out which. Concurrent
-- duplicates resolve here: the loser of a race on (client_id, idempotency_key) waits for
-- the winner's transaction, then inserts nothing and reads the winner's row.
WITH usable_credential AS (
    SELECT id
    FROM exchange_credentials
    WHERE id = %(credential_id)s AND client_id = %(client_id)s AND revoked_at IS NULL
), inserted AS (
    INSERT INTO orders
        (id, client_id, credential_id, bot_id, source, bot_tick, bot_leg, symbol, side, type,
         time_in_force, amount, price, idempotency_key, request_fingerprint, client_order_id,
         stop_price, signal_id, position_id, order_list_id)
    SELECT %(id)s, %(client_id)s, c.id, %(bot_id)s, %(source)s, %(bot_tick)s,
           %(bot_leg)s, %(symbol)s, %(side)s, %(type)s, %(time_in_force)s, %(amount)s,
           %(price)s, %(idempotency_key)s, %(request_fingerprint)s, %(client_order_id)s,
           %(stop_price)s, %(signal_id)s, %(position_id)s, %(order_list_id)s
    FROM usable_credential c
    ON CONFLICT (client_id, idempotency_key) DO NOTHING
    RETURNING id, client_id, credential_id, bot_id, source, bot_tick, bot_leg, symbol, side,
              type, time_in_force, amount, price, idempotency_key, client_order_id,
              exchange_order_id, status, filled_amount, remaining_amount, avg_fill_price,
              attempts, last_error_code, last_error_message, reject_reason,
              cancel_requested_at, submitted_at, closed_at, created_at, updated_at,
              stop_price, signal_id, position_id, order_list_id
), logged AS (
    INSERT INTO order_events (order_id, kind, to_status, message)
    SELECT id, 'status_change', 'accepted', %(event_message)s FROM inserted
)
SELECT * FROM inserted;

-- name: get_idempotency_record
SELECT id, request_fingerprint, response_status, response_body
FROM orders
WHERE client_id = %(client_id)s AND idempotency_key = %(idempotency_key)s;

-- name: store_order_response
UPDATE orders
SET response_status = %(response_status)s, response_body = %(response_body)s
WHERE id = %(order_id)s
RETURNING response_body;

-- name: insert_order_event
INSERT INTO order_events
    (order_id, kind, from_status, to_status, attempt, call, outcome, error_class, venue_code,
     message, latency_ms, job_id)
VALUES
    (%(order_id)s, %(kind)s, %(from_status)s, %(to_status)s, %(attempt)s, %(call)s,
     %(outcome)s, %(error_class)s, %(venue_code)s, %(message)s, %(latency_ms)s, %(job_id)s);

-- name: get_order
SELECT id, client_id, credential_id, bot_id, source, bot_tick, bot_leg, symbol, side, type,
       time_in_force, amount, price, idempotency_key, client_order_id, exchange_order_id,
       status, filled_amount, remaining_amount, avg_fill_price, attempts, last_error_code,
       last_error_message, reject_reason, cancel_requested_at, submitted_at, closed_at,
       created_at, updated_at, stop_price, signal_id, position_id, order_list_id
FROM orders
WHERE id = %(order_id)s AND client_id = %(client_id)s;

-- name: list_orders
-- Newest first, keyset pagination over (created_at, id) on orders_client_listing_idx.
SELECT id, client_id, credential_id, bot_id, source, bot_tick, bot_leg, symbol, side, type,
       time_in_force, amount, price, idempotency_key, client_order_id, exchange_order_id,
       status, filled_amount, remaining_amount, avg_fill_price, attempts, last_error_code,
       last_error_message, reject_reason, cancel_requested_at, submitted_at, closed_at,
       created_at, updated_at, stop_price, signal_id, position_id, order_list_id
FROM orders
WHERE client_id = %(client_id)s
  AND (%(before_created_at)s::timestamptz IS NULL
       OR (created_at, id) < (%(before_created_at)s::timestamptz, %(before_id)s::uuid))
  AND (%(status)s::order_status IS NULL OR status = %(status)s::order_status)
  AND (%(side)s::order_side IS NULL OR side = %(side)s::order_side)
  AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s::text)
  AND (%(bot_id)s::uuid IS NULL OR bot_id = %(bot_id)s::uuid)
  AND (%(credential_id)s::uuid IS NULL OR credential_id = %(credential_id)s::uuid)
  AND (%(created_after)s::timestamptz IS NULL OR created_at >= %(created_after)s::timestamptz)
  AND (%(created_before)s::timestamptz IS NULL OR created_at < %(created_before)s::timestamptz)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;

-- name: request_order_cancel
UPDATE orders
SET cancel_requested_at = now()
WHERE id = %(order_id)s
  AND client_id = %(client_id)s
  AND cancel_requested_at IS NULL
  AND NOT order_status_is_terminal(status)
RETURNING id, client_id, credential_id, bot_id, source, bot_tick, bot_leg, symbol, side, type,
          time_in_force, amount, price, idempotency_key, client_order_id, exchange_order_id,
          status, filled_amount, remaining_amount, avg_fill_price, attempts, last_error_code,
          last_error_message, reject_reason, cancel_requested_at, submitted_at, closed_at,
          created_at, updated_at;

-- name: request_cancel_of_open_bot_orders
-- Rows are locked in id order first, as every multi-row lock of orders is (an UPDATE
-- alone locks in scan order, and two writers locking the same orders in different
-- orders deadlock).
WITH locked AS MATERIALIZED (
    SELECT id
    FROM orders
    WHERE bot_id = %(bot_id)s
      AND client_id = %(client_id)s
      AND cancel_requested_at IS NULL
      AND NOT order_status_is_terminal(status)
    ORDER BY id
    FOR UPDATE
)
UPDATE orders o
SET cancel_requested_at = now()
FROM locked
WHERE o.id = locked.id
RETURNING o.id;

-- name: list_order_events
SELECT id, order_id, kind, from_status, to_status, attempt, call, outcome, error_class,
       venue_code, message, latency_ms, created_at
FROM order_events
WHERE order_id = %(order_id)s
ORDER BY id;

-- name: list_order_fills
SELECT id, order_id, bot_id, credential_id, symbol, exchange_trade_id, exchange_order_id, side,
       price, amount, quote_amount, fee_amount, fee_currency, is_maker, traded_at, created_at
FROM fills
WHERE order_id = %(order_id)s AND client_id = %(client_id)s
ORDER BY traded_at, id;
