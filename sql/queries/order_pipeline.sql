-- The worker's side of the order lifecycle. Every UPDATE carries its own forward-only
-- condition in the WHERE clause (the orders_forward_only trigger is the backstop), so a
-- late or repeated writer changes nothing instead of failing.

-- name: pipeline_lock_order
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.symbol, o.side, o.type,
    o.time_in_force, o.amount, o.price, o.client_order_id, o.exchange_order_id,
    o.status, o.filled_amount, o.attempts, o.cancel_requested_at, o.submitted_at,
    o.created_at, o.updated_at,
    c.exchange, c.environment, c.revoked_at AS credential_revoked_at
FROM orders o
JOIN exchange_credentials c ON c.id = o.credential_id
WHERE o.id = %(order_id)s
FOR UPDATE OF o;

-- name: pipeline_engaged_kill_switch
SELECT scope, engage_reason
FROM kill_switches
WHERE released_at IS NULL
  AND (
      scope = 'global'
      OR (scope = 'client' AND client_id = %(client_id)s)
      OR (scope = 'bot' AND bot_id = %(bot_id)s)
  )
ORDER BY scope
LIMIT 1;

-- name: pipeline_mark_submitting
-- submitted_at is the time of the last request that could have created the order: it
-- moves only when this attempt sends, not when it only looks a previous one up.
UPDATE orders
SET status = 'submitting',
    attempts = attempts + 1,
    submitted_at = CASE WHEN %(sending)s THEN now() ELSE submitted_at END
WHERE id = %(order_id)s AND status IN ('accepted', 'submitting', 'unknown')
RETURNING attempts;

-- name: pipeline_mark_sending
UPDATE orders SET submitted_at = now() WHERE id = %(order_id)s AND status = 'submitting';

-- name: pipeline_set_pre_venue_status
-- accepted (nothing was sent: send again), or unknown (it may exist: look it up first).
UPDATE orders
SET status = %(status)s,
    last_error_code = %(error_code)s,
    last_error_message = %(error_message)s
WHERE id = %(order_id)s AND status IN ('accepted', 'submitting', 'unknown')
RETURNING status;

-- name: pipeline_close_without_venue
-- rejected (a pre-trade check, a permanent venue refusal, a kill switch), failed (gave
-- up), or canceled before it ever reached the venue.
UPDATE orders
SET status = %(status)s,
    reject_reason = %(reject_reason)s,
    last_error_code = coalesce(%(error_code)s, last_error_code),
    last_error_message = coalesce(%(error_message)s, last_error_message),
    closed_at = now()
WHERE id = %(order_id)s AND NOT order_status_is_terminal(status)
RETURNING status;

-- name: pipeline_apply_venue_state
-- The venue's view of the order: status only forward, filled amount only up.
UPDATE orders
SET status = %(status)s,
    exchange_order_id = coalesce(exchange_order_id, %(exchange_order_id)s),
    filled_amount = greatest(filled_amount, %(filled)s),
    avg_fill_price = coalesce(%(average_price)s, avg_fill_price),
    reject_reason = CASE WHEN %(status)s = 'rejected' THEN coalesce(reject_reason, 'venue_rejected')
                         ELSE reject_reason END,
    closed_at = CASE WHEN order_status_is_terminal(%(status)s::order_status)
                     THEN coalesce(closed_at, now()) ELSE closed_at END
WHERE id = %(order_id)s
  AND NOT order_status_is_terminal(status)
  AND order_status_rank(%(status)s::order_status) >= order_status_rank(status)
RETURNING status, filled_amount;

-- name: pipeline_record_error
UPDATE orders
SET last_error_code = %(error_code)s, last_error_message = %(error_message)s
WHERE id = %(order_id)s;

-- name: pipeline_insert_fills
-- All of one order's new trades in one statement: the statistics trigger on fills is
-- per statement, so one INSERT per order costs it far less than one per trade.
INSERT INTO fills
    (client_id, credential_id, order_id, bot_id, symbol, exchange_trade_id, exchange_order_id,
     side, price, amount, fee_amount, fee_currency, is_maker, traded_at)
SELECT %(client_id)s::uuid, %(credential_id)s::uuid, %(order_id)s::uuid, %(bot_id)s::uuid,
       %(symbol)s::text, t.trade_id, t.exchange_order_id, t.side::order_side, t.price,
       t.amount, t.fee_amount, t.fee_currency, t.is_maker, t.traded_at
FROM unnest(
    %(trade_ids)s::text[], %(exchange_order_ids)s::text[], %(sides)s::text[],
    %(prices)s::numeric[], %(amounts)s::numeric[], %(fee_amounts)s::numeric[],
    %(fee_currencies)s::text[], %(is_makers)s::boolean[], %(traded_ats)s::timestamptz[]
) AS t(trade_id, exchange_order_id, side, price, amount, fee_amount, fee_currency, is_maker,
       traded_at)
ON CONFLICT (credential_id, symbol, exchange_trade_id) DO NOTHING;

-- name: pipeline_load_credential
SELECT id, client_id, exchange, environment, api_base_url, sealed_secret, key_id, revoked_at
FROM exchange_credentials
WHERE id = %(credential_id)s;

-- name: pipeline_live_orders_of_credential
SELECT id
FROM orders
WHERE credential_id = %(credential_id)s
  AND status IN ('open', 'partially_filled')
ORDER BY symbol, created_at;

-- name: pipeline_credentials_with_live_orders
-- For the reconciliation sweep: credentials whose open orders were not looked at lately.
SELECT credential_id, count(*) AS live_orders
FROM orders
WHERE status IN ('open', 'partially_filled')
  AND updated_at < now() - make_interval(secs => %(min_age_s)s)
GROUP BY credential_id;

-- name: pipeline_orders_without_live_job
-- Belt and braces: a live intent that no pending job will ever advance.
SELECT o.id,
       CASE WHEN o.status IN ('accepted', 'submitting', 'unknown') THEN 'place_order'
            ELSE 'cancel_order' END AS task_name
FROM orders o
WHERE o.updated_at < now() - make_interval(secs => %(min_age_s)s)
  AND (
      o.status IN ('accepted', 'submitting', 'unknown')
      OR (o.cancel_requested_at IS NOT NULL AND o.status IN ('open', 'partially_filled'))
  )
  AND NOT EXISTS (
      SELECT 1 FROM procrastinate_jobs j
      WHERE j.args ->> 'order_id' = o.id::text AND j.status IN ('todo', 'doing')
  )
LIMIT %(limit)s;
