-- Positions as the HTTP API reads them, scoped by client (the worker's statements are in
-- positions.sql).

-- name: list_positions
-- Newest first, keyset pagination over (opened_at, id). The numbers come from the fills
-- (ops.positions); the rest from the row.
SELECT v.id, v.client_id, v.bot_id, v.credential_id, v.symbol, v.status, v.exit_mode,
       v.stop_price, v.take_profit_price, v.trail_anchor, v.atr, v.close_reason,
       v.entry_amount, v.exit_amount, v.size, v.avg_entry_price, v.avg_exit_price,
       v.realized_pnl, v.opened_at, v.closed_at, p.opened_by_signal, p.closing_since,
       p.updated_at
FROM ops.positions v
JOIN positions p ON p.id = v.id
WHERE v.client_id = %(client_id)s
  AND (%(bot_id)s::uuid IS NULL OR v.bot_id = %(bot_id)s::uuid)
  AND (%(status)s::text IS NULL OR v.status = %(status)s::text)
  AND (%(before_opened_at)s::timestamptz IS NULL
       OR (v.opened_at, v.id) < (%(before_opened_at)s::timestamptz, %(before_id)s::uuid))
ORDER BY v.opened_at DESC, v.id DESC
LIMIT %(limit)s;

-- name: get_position
SELECT v.id, v.client_id, v.bot_id, v.credential_id, v.symbol, v.status, v.exit_mode,
       v.stop_price, v.take_profit_price, v.trail_anchor, v.atr, v.close_reason,
       v.entry_amount, v.exit_amount, v.size, v.avg_entry_price, v.avg_exit_price,
       v.realized_pnl, v.opened_at, v.closed_at, p.opened_by_signal, p.closing_since,
       p.updated_at
FROM ops.positions v
JOIN positions p ON p.id = v.id
WHERE v.id = %(position_id)s AND v.client_id = %(client_id)s;

-- name: list_position_events
-- Oldest first: the position's story in order.
SELECT e.id, e.kind, e.stop_from, e.stop_to, e.detail, e.created_at
FROM position_events e
WHERE e.position_id = %(position_id)s
ORDER BY e.id;
