-- name: bot_series
-- A bot's book (its fills of its symbol) in time buckets of `bucket` from `since`: the
-- volume of each bucket, its last trade price, and the book's position and cash flow
-- accumulated since the bot's first fill (the fills before `since` in one sum), so P&L
-- at a bucket's end = cash + position x that price. Fees as the FIFO counts them
-- (docs/stats.md): in base they move the base, in quote they move the cash, in a third
-- currency they are left out. One pass over the bot's fills on fills_bot_time_idx.
WITH flows AS (
    SELECT
        f.id,
        f.traded_at,
        f.side,
        f.price,
        f.amount,
        f.quote_amount,
        CASE f.side
            WHEN 'buy' THEN f.amount - coalesce(fee.base, 0)
            ELSE -(f.amount + coalesce(fee.base, 0))
        END AS base_delta,
        CASE f.side
            WHEN 'buy' THEN -(f.price * f.amount + coalesce(fee.quote, 0))
            ELSE f.price * f.amount - coalesce(fee.quote, 0)
        END AS quote_delta
    FROM fills f
    CROSS JOIN LATERAL (
        SELECT
            CASE WHEN f.fee_currency = split_part(f.symbol, '/', 1)
                 THEN f.fee_amount END AS base,
            CASE WHEN f.fee_currency = split_part(split_part(f.symbol, '/', 2), ':', 1)
                 THEN f.fee_amount END AS quote
    ) fee
    WHERE f.bot_id = %(bot_id)s AND f.symbol = %(symbol)s AND f.traded_at < %(until)s
),
earlier AS (
    SELECT coalesce(sum(base_delta), 0) AS base, coalesce(sum(quote_delta), 0) AS cash
    FROM flows
    WHERE traded_at < %(since)s
),
buckets AS (
    SELECT
        date_bin(%(bucket)s, traded_at, %(since)s) AS bucket_start,
        count(*) AS trades,
        count(*) FILTER (WHERE side = 'buy') AS buys,
        count(*) FILTER (WHERE side = 'sell') AS sells,
        sum(amount) AS base_volume,
        sum(quote_amount) AS quote_volume,
        (array_agg(price ORDER BY traded_at DESC, id DESC))[1] AS last_price,
        sum(base_delta) AS base_delta,
        sum(quote_delta) AS quote_delta
    FROM flows
    WHERE traded_at >= %(since)s
    GROUP BY 1
)
SELECT
    b.bucket_start,
    b.trades,
    b.buys,
    b.sells,
    b.base_volume,
    b.quote_volume,
    b.last_price,
    e.base + sum(b.base_delta) OVER (ORDER BY b.bucket_start) AS position,
    e.cash + sum(b.quote_delta) OVER (ORDER BY b.bucket_start) AS cash
FROM buckets b
CROSS JOIN earlier e
ORDER BY b.bucket_start;
