-- name: position_lock
-- The position with its numbers (all from its fills, as ops.positions computes them),
-- the row locked until the caller's transaction ends: watches of one position, a stop of
-- its bot and an exit signal's fan-out write it one after the other.
SELECT p.id, p.client_id, p.bot_id, p.credential_id, p.symbol, p.status, p.exit_mode,
       p.stop_price, p.take_profit_price, p.trail_anchor, p.atr, p.close_reason,
       n.entry_amount, n.exit_amount, n.size, n.avg_entry_price, n.realized_pnl,
       -- Fees paid in the base asset (a venue takes a buy's fee from what it bought):
       -- the account holds that much less than the size, and can sell no more.
       coalesce((SELECT sum(f.fee_amount)
                 FROM orders o JOIN fills f ON f.order_id = o.id
                 WHERE o.position_id = p.id
                   AND f.fee_currency = split_part(p.symbol, '/', 1)), 0) AS base_fees
FROM positions p
JOIN ops.positions n ON n.id = p.id
WHERE p.id = %(position_id)s
FOR UPDATE OF p;

-- name: position_read
-- As position_lock, without the lock (the watch's first look, before the venue reads).
SELECT p.id, p.client_id, p.bot_id, p.credential_id, p.symbol, p.status, p.exit_mode,
       p.stop_price, p.take_profit_price, p.trail_anchor, p.atr, p.close_reason,
       n.entry_amount, n.exit_amount, n.size, n.avg_entry_price, n.realized_pnl,
       -- Fees paid in the base asset (a venue takes a buy's fee from what it bought):
       -- the account holds that much less than the size, and can sell no more.
       coalesce((SELECT sum(f.fee_amount)
                 FROM orders o JOIN fills f ON f.order_id = o.id
                 WHERE o.position_id = p.id
                   AND f.fee_currency = split_part(p.symbol, '/', 1)), 0) AS base_fees
FROM positions p
JOIN ops.positions n ON n.id = p.id
WHERE p.id = %(position_id)s;

-- name: position_orders
-- Every order of the position, live or not: the live ones are what the watch manages,
-- the rest say how it ended (which exit leg filled) and number the next keys.
SELECT id, bot_leg, side, type, status, amount, filled_amount, price, stop_price,
       order_list_id, cancel_requested_at IS NOT NULL AS cancel_requested
FROM orders
WHERE position_id = %(position_id)s
ORDER BY created_at, id;

-- name: position_order_lists
SELECT id, status, reject_reason, last_error_message
FROM order_lists
WHERE position_id = %(position_id)s
ORDER BY created_at, id;

-- name: position_set_protection
UPDATE positions
SET stop_price = %(stop_price)s,
    take_profit_price = %(take_profit_price)s,
    trail_anchor = %(trail_anchor)s
WHERE id = %(position_id)s AND status <> 'closed';

-- name: position_set_closing
-- Only an open position starts closing: the first reason stands.
UPDATE positions
SET status = 'closing', close_reason = %(reason)s, closing_since = now()
WHERE id = %(position_id)s AND status = 'open'
RETURNING id;

-- name: position_close
UPDATE positions
SET status = 'closed', close_reason = coalesce(close_reason, %(reason)s), closed_at = now()
WHERE id = %(position_id)s AND status <> 'closed';

-- name: position_insert_event
INSERT INTO position_events (position_id, kind, stop_from, stop_to, detail)
VALUES (%(position_id)s, %(kind)s, %(stop_from)s, %(stop_to)s, %(detail)s);

-- name: position_of_bot
-- The bot's position that is not closed (at most one: positions_one_open_per_bot_uq).
SELECT id
FROM positions
WHERE bot_id = %(bot_id)s AND status <> 'closed';

-- name: position_bot_state
-- What the watch needs of the position's bot: its status, config and kind.
SELECT status, kind, config
FROM bots
WHERE id = %(bot_id)s;
