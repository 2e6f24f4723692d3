-- Trading statistics (shared.repositories.stats; tables and trigger in 0005_stats.sql).
-- Every read is O(books + buckets in the window), never O(fills): see docs/stats.md.

-- name: stats_bot
-- as_of: the caller's `now`, else the transaction's.
SELECT id AS bot_id, client_id, symbol,
       coalesce(%(now)s::timestamptz, now()) AS as_of
FROM bots
WHERE id = %(bot_id)s;

-- name: stats_client
SELECT id AS client_id, coalesce(%(now)s::timestamptz, now()) AS as_of
FROM clients
WHERE id = %(client_id)s;

-- name: stats_bot_books
SELECT id, symbol, base, quote, realized_pnl, lot_side, open_amount, open_value,
       folded_count, stale_from_fill_id IS NOT NULL AS stale
FROM stats_books
WHERE bot_id = %(bot_id)s
ORDER BY symbol, id;

-- name: stats_client_books
-- Every book of the client: its bots' (archived ones included) and its manual orders'.
SELECT id, symbol, base, quote, realized_pnl, lot_side, open_amount, open_value,
       folded_count, stale_from_fill_id IS NOT NULL AS stale
FROM stats_books
WHERE client_id = %(client_id)s
ORDER BY symbol, id;

-- name: stats_rebuild_books
-- Replays stale books (a fill older than the book's newest folded fill arrived). Waits for
-- concurrent writers of those books; a book another reader rebuilt meanwhile is skipped.
-- In id order, as the trigger locks books.
SELECT s.book_id, stats_rebuild_book(s.book_id) AS rebuilt
FROM (SELECT DISTINCT book_id FROM unnest(%(book_ids)s::bigint[]) AS book_id ORDER BY 1) s;

-- name: stats_rebuild_stale_books
SELECT stats_rebuild_stale_books() AS rebuilt;

-- name: stats_volume
-- All-time rows, and the 24h window (lo .. hi, see shared.stats.window) per book and fee
-- currency: hour buckets, minute buckets at both ends, and the sub-minute edges from fills.
-- One query for a bot's books and a client's: the edge fills are read per book, through
-- fills_bot_time_idx for a bot's book and fills_client_time_idx for a book of manual
-- orders (a one-time filter on b.bot_id runs only the branch that applies), the plans the
-- former bot and client twins had. Measured (EXPLAIN ANALYZE, p50 of 30, Postgres 15,
-- bench/stats_bench.py data): 10 bots x 100k fills: bot 0.88 ms (twin 0.92), client
-- 3.3 ms (twin 3.1); 50 bots x 20k fills: bot 1.2 ms (twin 1.1), client 12.9 ms (twin
-- 13.5). Folding without the per-book branches (one join on the client's fills) made the
-- planner scan fills in parallel: 207 ms for a bot, 236 ms for a client.
WITH parts (period, book_id, fee_currency, buy_count, sell_count, buy_base, sell_base,
            buy_quote, sell_quote, fee_amount) AS (
    SELECT 'all', v.book_id, v.fee_currency, v.buy_count, v.sell_count, v.buy_base,
           v.sell_base, v.buy_quote, v.sell_quote, v.fee_amount
    FROM stats_volume v
    WHERE v.book_id = ANY(%(book_ids)s::bigint[]) AND v.bucket_seconds = 0
    UNION ALL
    SELECT '24h', v.book_id, v.fee_currency, v.buy_count, v.sell_count, v.buy_base,
           v.sell_base, v.buy_quote, v.sell_quote, v.fee_amount
    FROM stats_volume v
    WHERE v.book_id = ANY(%(book_ids)s::bigint[]) AND v.bucket_seconds = 3600
      AND v.bucket_start >= %(lo_hour)s AND v.bucket_start < %(hi_hour)s
    UNION ALL
    SELECT '24h', v.book_id, v.fee_currency, v.buy_count, v.sell_count, v.buy_base,
           v.sell_base, v.buy_quote, v.sell_quote, v.fee_amount
    FROM stats_volume v
    WHERE v.book_id = ANY(%(book_ids)s::bigint[]) AND v.bucket_seconds = 60
      AND ((v.bucket_start >= %(lo_minute)s AND v.bucket_start < %(lo_hour)s)
           OR (v.bucket_start >= %(hi_hour)s AND v.bucket_start < %(hi_minute)s))
    UNION ALL
    SELECT '24h', b.id, coalesce(f.fee_currency, ''),
           (f.side = 'buy')::integer, (f.side = 'sell')::integer,
           CASE WHEN f.side = 'buy' THEN f.amount ELSE 0 END,
           CASE WHEN f.side = 'sell' THEN f.amount ELSE 0 END,
           CASE WHEN f.side = 'buy' THEN f.price * f.amount ELSE 0 END,
           CASE WHEN f.side = 'sell' THEN f.price * f.amount ELSE 0 END,
           f.fee_amount
    FROM stats_books b
    CROSS JOIN LATERAL (
        -- A bot's book: its fills through fills_bot_time_idx.
        SELECT f.side, f.amount, f.price, f.fee_amount, f.fee_currency
        FROM fills f
        WHERE b.bot_id IS NOT NULL AND f.bot_id = b.bot_id
          AND f.credential_id = b.credential_id AND f.symbol = b.symbol
          AND ((f.traded_at >= %(lo)s AND f.traded_at < %(lo_minute)s)
               OR (f.traded_at >= %(hi_minute)s AND f.traded_at < %(hi)s))
        UNION ALL
        -- A book of manual orders: the client's fills through fills_client_time_idx.
        SELECT f.side, f.amount, f.price, f.fee_amount, f.fee_currency
        FROM fills f
        WHERE b.bot_id IS NULL AND f.client_id = b.client_id AND f.bot_id IS NULL
          AND f.credential_id = b.credential_id AND f.symbol = b.symbol
          AND ((f.traded_at >= %(lo)s AND f.traded_at < %(lo_minute)s)
               OR (f.traded_at >= %(hi_minute)s AND f.traded_at < %(hi)s))
    ) f
    WHERE b.id = ANY(%(book_ids)s::bigint[])  -- a book created since is not asked for
)
SELECT period, book_id, fee_currency,
       sum(buy_count)::bigint AS buy_count, sum(sell_count)::bigint AS sell_count,
       sum(buy_base) AS buy_base, sum(sell_base) AS sell_base,
       sum(buy_quote) AS buy_quote, sum(sell_quote) AS sell_quote,
       sum(fee_amount) AS fee_amount
FROM parts
GROUP BY period, book_id, fee_currency
ORDER BY period, book_id, fee_currency;

-- name: stats_book_lots
-- The open lots of a book, oldest first (for a "positions" view and the tests).
SELECT seq, fill_id, opened_at, amount, value
FROM stats_fifo_lots
WHERE book_id = %(book_id)s
ORDER BY seq;

-- name: stats_bot_latest_mid
-- The mid the bot's newest tick saw: the web values open positions without calling a venue.
SELECT b.symbol, t.mid, t.ticked_at
FROM bot_ticks t
JOIN bots b ON b.id = t.bot_id
WHERE t.bot_id = %(bot_id)s AND t.mid IS NOT NULL
ORDER BY t.tick_number DESC
LIMIT 1;

-- name: stats_client_latest_mids
-- Per symbol, the newest mid any of the client's bots saw in the last hour.
SELECT DISTINCT ON (b.symbol) b.symbol, t.mid, t.ticked_at
FROM bot_ticks t
JOIN bots b ON b.id = t.bot_id
WHERE t.client_id = %(client_id)s
  AND t.mid IS NOT NULL
  AND t.ticked_at > now() - interval '1 hour'
ORDER BY b.symbol, t.ticked_at DESC;

-- name: stats_prune
-- Minute buckets and checkpoints older than the 24h window needs (with a day's margin).
SELECT stats_prune(interval '2 days');
