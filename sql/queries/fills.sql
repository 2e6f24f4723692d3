-- name: list_fills
-- Newest first, keyset pagination over (created_at, id) on fills_client_listing_idx.
SELECT id, order_id, bot_id, credential_id, symbol, exchange_trade_id, exchange_order_id, side,
       price, amount, quote_amount, fee_amount, fee_currency, is_maker, traded_at, created_at
FROM fills
WHERE client_id = %(client_id)s
  AND (%(before_created_at)s::timestamptz IS NULL
       OR (created_at, id) < (%(before_created_at)s::timestamptz, %(before_id)s::bigint))
  AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s::text)
  AND (%(order_id)s::uuid IS NULL OR order_id = %(order_id)s::uuid)
  AND (%(bot_id)s::uuid IS NULL OR bot_id = %(bot_id)s::uuid)
  AND (%(credential_id)s::uuid IS NULL OR credential_id = %(credential_id)s::uuid)
  AND (%(created_after)s::timestamptz IS NULL OR created_at >= %(created_after)s::timestamptz)
  AND (%(created_before)s::timestamptz IS NULL OR created_at < %(created_before)s::timestamptz)
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;
