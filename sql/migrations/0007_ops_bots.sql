-- ops.bots: one line per bot with its last tick and its P&L, for `psql` at 3 a.m.
-- ("is the bot running, when did it last tick, why did it skip, what has it made?").

CREATE VIEW ops.bots AS
SELECT
    b.id AS bot_id,
    c.name AS client,
    b.name,
    b.kind,
    b.symbol,
    b.status,
    b.status_reason,
    b.tick_number,
    b.last_tick_at,
    now() - b.last_tick_at AS since_last_tick,
    t.outcome AS last_outcome,
    t.skip_reasons AS last_skip_reasons,
    t.error AS last_error,
    t.mid AS last_mid,
    sb.realized_pnl,
    sb.open_amount * sb.lot_side AS position,
    sb.stale_since IS NOT NULL AS pnl_being_rebuilt,
    (SELECT count(*) FROM orders o
     WHERE o.bot_id = b.id AND o.status IN ('open', 'partially_filled')) AS open_orders,
    b.archived_at
FROM bots b
JOIN clients c ON c.id = b.client_id
LEFT JOIN LATERAL (
    SELECT outcome, skip_reasons, error, mid
    FROM bot_ticks
    WHERE bot_id = b.id
    ORDER BY tick_number DESC
    LIMIT 1
) t ON true
LEFT JOIN stats_books sb ON sb.bot_id = b.id AND sb.symbol = b.symbol;
