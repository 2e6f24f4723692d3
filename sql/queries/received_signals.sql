-- The signals of a strategy as the webhook records them and the API reads them (the
-- fan-out's statements are in signals.sql).

-- name: insert_signal
-- The same sender's signal_id twice, or at once, is one row: a concurrent duplicate waits
-- here for the first one's commit and then inserts nothing (the caller replays the row).
-- created_at = received_at: the listing's key is the arrival time.
INSERT INTO signals (id, strategy_id, client_id, signal_id, fingerprint, symbol, action,
                     reference_price, signal_time, received_at, created_at, outcome,
                     refusal_reason, response_status, response_body)
VALUES (%(id)s, %(strategy_id)s, %(client_id)s, %(signal_id)s, %(fingerprint)s, %(symbol)s,
        %(action)s, %(reference_price)s, %(signal_time)s, %(received_at)s, %(received_at)s,
        %(outcome)s, %(refusal_reason)s, %(response_status)s, %(response_body)s)
ON CONFLICT (strategy_id, signal_id) DO NOTHING
RETURNING id;

-- name: signal_first_response
SELECT id, fingerprint, response_status, response_body
FROM signals
WHERE strategy_id = %(strategy_id)s AND signal_id = %(signal_id)s;

-- name: get_signal
SELECT id, strategy_id, client_id, signal_id, symbol, action, reference_price, signal_time,
       received_at, outcome, refusal_reason, response_status, fanned_out_at, bots_targeted,
       orders_created, created_at
FROM signals
WHERE id = %(signal_id)s AND client_id = %(client_id)s;

-- name: list_strategy_signals
-- Newest first, keyset pagination over (received_at, id) on signals_strategy_listing_idx.
SELECT id, strategy_id, client_id, signal_id, symbol, action, reference_price, signal_time,
       received_at, outcome, refusal_reason, response_status, fanned_out_at, bots_targeted,
       orders_created, created_at
FROM signals
WHERE strategy_id = %(strategy_id)s
  AND client_id = %(client_id)s
  AND (%(before_received_at)s::timestamptz IS NULL
       OR (received_at, id) < (%(before_received_at)s::timestamptz, %(before_id)s::uuid))
ORDER BY received_at DESC, id DESC
LIMIT %(limit)s;

-- name: signal_deliveries
-- What one signal did per bot (the fan-out's rows), bots by name.
SELECT d.bot_id, b.name AS bot_name, d.outcome, d.reason, d.order_id, d.position_id,
       d.created_at
FROM signal_deliveries d
JOIN bots b ON b.id = d.bot_id
WHERE d.signal_id = %(signal_id)s AND d.client_id = %(client_id)s
ORDER BY b.name, d.bot_id;
