-- The fan-out of a signal to the bots subscribed to its strategy (worker.signals.fan_out).

-- name: get_signal_for_fan_out
-- The signal as the fan-out reads it before the venue reads (no lock: nothing is written
-- from this read alone; the write re-checks under lock_signal_for_fan_out).
SELECT id, strategy_id, client_id, signal_id AS sender_signal_id, symbol, action,
       reference_price, outcome, fanned_out_at
FROM signals
WHERE id = %(signal_id)s;

-- name: lock_signal_for_fan_out
-- Serialises fan-outs of one signal (a re-delivered job, the safety net): the second
-- waits for the first's commit and then sees fanned_out_at. now() is the transaction's
-- timestamp, the created_at every row of the fan-out gets.
SELECT fanned_out_at, now() AS now
FROM signals
WHERE id = %(signal_id)s
FOR UPDATE;

-- name: fan_out_targets
-- The running bots subscribed to the strategy on the signal's symbol, each with what its
-- decision needs in one row: config, venue endpoint, its unclosed position and its size
-- (from fills, as ops.positions computes it), the balance snapshot of the market's two
-- assets, and the kill switch covering it, if any. In id order (the lock order of the write).
SELECT
    b.id AS bot_id, b.client_id, b.credential_id, b.config,
    c.exchange AS venue, c.environment, c.api_base_url,
    (c.revoked_at IS NOT NULL) AS credential_revoked,
    p.id AS position_id, p.status AS position_status,
    coalesce(op.size, 0) AS position_size,
    quote.free AS quote_free, quote.total AS quote_total,
    coalesce(base.total, 0) AS base_total,
    k.engage_reason AS kill_switch_reason,
    -- Sizing reads the balance snapshot; the credential's user-data stream keeps it
    -- current. Without a live stream, a snapshot missing or older than the bound is
    -- fetched from the venue first (a new credential's first signal, too).
    (quote.fetched_at IS NULL
        OR (quote.fetched_at < now() - make_interval(secs => %(balance_max_age_s)s)
            AND NOT EXISTS (
                SELECT 1 FROM user_streams s
                WHERE s.credential_id = b.credential_id AND s.state = 'live'
                  AND s.lease_expires_at > now()))) AS balances_need_fetch
FROM bots b
JOIN exchange_credentials c ON c.id = b.credential_id
LEFT JOIN positions p ON p.bot_id = b.id AND p.status <> 'closed'
LEFT JOIN ops.positions op ON op.id = p.id
LEFT JOIN balances quote
    ON quote.credential_id = b.credential_id AND quote.asset = split_part(b.symbol, '/', 2)
LEFT JOIN balances base
    ON base.credential_id = b.credential_id AND base.asset = split_part(b.symbol, '/', 1)
LEFT JOIN LATERAL (
    SELECT engage_reason FROM engaged_kill_switch(b.client_id, b.id) LIMIT 1
) k ON true
WHERE b.strategy_id = %(strategy_id)s
  AND b.symbol = %(symbol)s
  AND b.status = 'running'
  AND b.kind = 'signal'
ORDER BY b.id;

-- name: write_entry_fan_out
-- An entry signal's whole fan-out in one statement, from arrays in bot order (one element
-- per targeted bot): the positions to open, the entry orders (exactly the columns
-- shared.orders.intents.submit_order_intent writes, response included) with their
-- `accepted` events, and one delivery per bot. The bots are share-locked in id order
-- first: a stop or a kill switch waits for this commit (and then sees these orders), and a
-- bot stopped (or a position gone closing) since the decision gets a skipped delivery
-- instead of an order.
-- A position inserted concurrently by another signal's fan-out makes this statement fail
-- (its orders' position does not exist): the job retries and reuses that position.
WITH planned AS (
    SELECT *
    FROM unnest(
        %(bot_ids)s::uuid[], %(outcomes)s::text[], %(reasons)s::text[],
        %(order_ids)s::uuid[], %(position_ids)s::uuid[], %(new_positions)s::boolean[],
        %(exit_modes)s::text[], %(atrs)s::numeric[], %(amounts)s::numeric[],
        %(prices)s::numeric[], %(idempotency_keys)s::text[], %(fingerprints)s::bytea[],
        %(client_order_ids)s::text[], %(response_bodies)s::jsonb[]
    ) AS t(bot_id, outcome, reason, order_id, position_id, new_position, exit_mode, atr,
           amount, price, idempotency_key, fingerprint, client_order_id, response_body)
), locked_bots AS MATERIALIZED (
    SELECT b.id, b.client_id, b.credential_id, b.symbol
    FROM bots b
    WHERE b.id = ANY (%(bot_ids)s::uuid[]) AND b.status = 'running'
    ORDER BY b.id
    FOR SHARE
), reusable AS MATERIALIZED (
    -- A position the decision reused must still be open (not closing since the read).
    SELECT id
    FROM positions
    WHERE id = ANY (%(position_ids)s::uuid[]) AND status = 'open'
    ORDER BY id
    FOR SHARE
), decided AS (
    SELECT p.*, b.client_id, b.credential_id, b.symbol,
           CASE WHEN p.outcome <> 'ordered' THEN p.reason
                WHEN b.id IS NULL THEN 'bot no longer running'
                WHEN NOT p.new_position AND r.id IS NULL THEN 'position no longer open'
           END AS skip_reason
    FROM planned p
    LEFT JOIN locked_bots b ON b.id = p.bot_id
    LEFT JOIN reusable r ON r.id = p.position_id
), new_positions AS (
    INSERT INTO positions
        (id, client_id, bot_id, credential_id, symbol, opened_by_signal, atr, exit_mode)
    SELECT d.position_id, d.client_id, d.bot_id, d.credential_id, d.symbol, %(signal_id)s,
           d.atr, d.exit_mode
    FROM decided d
    WHERE d.skip_reason IS NULL AND d.new_position
    ON CONFLICT (bot_id) WHERE status <> 'closed' DO NOTHING
    RETURNING id
), opened AS (
    INSERT INTO position_events (position_id, kind, detail)
    SELECT id, 'opened', %(opened_detail)s FROM new_positions
), new_orders AS (
    INSERT INTO orders
        (id, client_id, credential_id, bot_id, source, bot_leg, symbol, side, type,
         time_in_force, amount, price, idempotency_key, request_fingerprint, client_order_id,
         response_status, response_body, signal_id, position_id)
    SELECT d.order_id, d.client_id, d.credential_id, d.bot_id, %(source)s, %(bot_leg)s,
           d.symbol, %(side)s, %(type)s, %(time_in_force)s, d.amount, d.price,
           d.idempotency_key, d.fingerprint,
           d.client_order_id, %(response_status)s, d.response_body, %(signal_id)s,
           d.position_id
    FROM decided d
    WHERE d.skip_reason IS NULL
    ON CONFLICT (client_id, idempotency_key) DO NOTHING
    RETURNING id
), accepted AS (
    INSERT INTO order_events (order_id, kind, to_status, message)
    SELECT id, 'status_change', 'accepted', %(event_message)s FROM new_orders
), delivered AS (
    INSERT INTO signal_deliveries (signal_id, bot_id, client_id, outcome, reason, order_id,
                                   position_id)
    SELECT %(signal_id)s, d.bot_id, %(client_id)s,
           CASE WHEN d.skip_reason IS NULL THEN 'ordered' ELSE 'skipped' END,
           d.skip_reason,
           CASE WHEN d.skip_reason IS NULL THEN d.order_id END,
           CASE WHEN d.skip_reason IS NULL THEN d.position_id END
    FROM decided d
    ON CONFLICT (signal_id, bot_id) DO NOTHING
    RETURNING outcome
)
SELECT
    (SELECT array_agg(id ORDER BY id) FROM new_orders) AS order_ids,
    (SELECT array_agg(id ORDER BY id) FROM new_positions) AS position_ids,
    (SELECT count(*) FROM delivered) AS deliveries;

-- name: write_exit_fan_out
-- An exit signal's fan-out in one statement: every open position of the targeted bots
-- goes closing (close_reason exit_signal, a `closing` event), and each bot gets one
-- delivery: closing, or skipped with the reason given (no open position, ...).
WITH planned AS (
    SELECT *
    FROM unnest(%(bot_ids)s::uuid[], %(reasons)s::text[]) AS t(bot_id, reason)
), closing AS (
    UPDATE positions p
    SET status = 'closing', close_reason = 'exit_signal', closing_since = now()
    FROM planned
    WHERE p.bot_id = planned.bot_id AND p.status = 'open' AND planned.reason IS NULL
    RETURNING p.id, p.bot_id
), logged AS (
    INSERT INTO position_events (position_id, kind, detail)
    SELECT id, 'closing', %(closing_detail)s FROM closing
), delivered AS (
    INSERT INTO signal_deliveries (signal_id, bot_id, client_id, outcome, reason, position_id)
    SELECT %(signal_id)s, pl.bot_id, %(client_id)s,
           CASE WHEN c.id IS NOT NULL THEN 'closing' ELSE 'skipped' END,
           CASE WHEN c.id IS NOT NULL THEN 'position set closing'
                ELSE coalesce(pl.reason, 'no open position') END,
           c.id
    FROM planned pl
    LEFT JOIN closing c ON c.bot_id = pl.bot_id
    ON CONFLICT (signal_id, bot_id) DO NOTHING
)
SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM closing;

-- name: mark_signal_fanned_out
UPDATE signals
SET fanned_out_at = now(), bots_targeted = %(bots_targeted)s,
    orders_created = %(orders_created)s
WHERE id = %(signal_id)s AND fanned_out_at IS NULL;

-- name: signals_awaiting_fan_out
-- The safety net's scan (signals_pending_fan_out_idx): accepted, not fanned out, older
-- than the grace a live job needs.
SELECT id
FROM signals
WHERE outcome = 'accepted' AND fanned_out_at IS NULL
  AND received_at < now() - make_interval(secs => %(min_age_s)s)
ORDER BY received_at
LIMIT %(limit)s;
