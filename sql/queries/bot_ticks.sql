-- name: bot_tick_lock_bot
-- The worker's view of a bot (any client), locked until the tick's transaction ends.
SELECT id, client_id, name, kind, exchange, symbol, credential_id, config, status,
       status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
       strategy_id
FROM bots
WHERE id = %(bot_id)s
FOR UPDATE;

-- name: bot_tick_advance
UPDATE bots
SET tick_number = %(tick_number)s, last_tick_at = %(ticked_at)s
WHERE id = %(bot_id)s AND tick_number = %(tick_number)s - 1 AND status = 'running';

-- name: bot_tick_fail
-- Only a running bot goes to error: a stop or a kill switch that came first wins.
UPDATE bots
SET status = 'error', status_reason = %(reason)s
WHERE id = %(bot_id)s AND status = 'running';

-- name: bot_tick_live_orders
-- Every order of the bot that is not terminal: what rests at the venue or may soon.
SELECT id, bot_leg, side, price, amount - filled_amount AS remaining, status,
       cancel_requested_at IS NOT NULL AS cancel_requested
FROM orders
WHERE bot_id = %(bot_id)s
  AND NOT order_status_is_terminal(status)
ORDER BY created_at, id;

-- name: bot_tick_traded_since
-- Quote notional the bot traded since `since` (the start of its UTC day).
SELECT coalesce(sum(quote_amount), 0)
FROM fills
WHERE bot_id = %(bot_id)s AND traded_at >= %(since)s;

-- name: bot_tick_last_side
SELECT side
FROM orders
WHERE bot_id = %(bot_id)s
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: bot_tick_record
-- A re-run of the same tick overwrites its row (the orders it placed are the same ones).
INSERT INTO bot_ticks
    (bot_id, client_id, tick_number, outcome, mid, orders_placed, cancels_requested,
     skip_reasons, error, next_tick_in_s, ticked_at)
VALUES
    (%(bot_id)s, %(client_id)s, %(tick_number)s, %(outcome)s, %(mid)s, %(orders_placed)s,
     %(cancels_requested)s, %(skip_reasons)s, %(error)s, %(next_tick_in_s)s, %(ticked_at)s)
ON CONFLICT (bot_id, tick_number) DO UPDATE
SET outcome = EXCLUDED.outcome,
    mid = EXCLUDED.mid,
    orders_placed = bot_ticks.orders_placed + EXCLUDED.orders_placed,
    cancels_requested = bot_ticks.cancels_requested + EXCLUDED.cancels_requested,
    skip_reasons = EXCLUDED.skip_reasons,
    error = EXCLUDED.error,
    next_tick_in_s = EXCLUDED.next_tick_in_s,
    ticked_at = EXCLUDED.ticked_at;

-- name: bot_tick_prune
-- Diagnostics only: keep the newest ticks per bot (orders and fills are never dropped).
DELETE FROM bot_ticks
WHERE bot_id = %(bot_id)s AND tick_number <= %(tick_number)s - %(keep)s;
