-- The worker's side of the order lifecycle. Every UPDATE carries its own forward-only
-- condition in the WHERE clause (the orders_forward_only trigger is the backstop), so a
-- late or repeated writer changes nothing instead of failing.

-- name: pipeline_lock_order
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id
FROM orders o
WHERE o.id = %(order_id)s
FOR UPDATE OF o;

-- name: pipeline_engaged_kill_switch
SELECT scope, engage_reason FROM engaged_kill_switch(%(client_id)s, %(bot_id)s);


-- name: pipeline_placement_snapshot
-- All place_order reads before its first write, in one round trip and without a lock:
-- the order's fields it checks never change (only its status does, and the pre-send
-- write re-checks that under the lock), the credential to sign with, the kill switch.
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id,
    c.exchange, c.environment, c.api_base_url, c.sealed_secret, c.key_id,
    c.revoked_at AS credential_revoked_at,
    c.egress_route_id, r.name AS egress_route, r.sealed_proxy_url, r.key_id AS route_key_id,
    k.scope AS kill_switch_scope, k.engage_reason AS kill_switch_reason
FROM orders o
JOIN exchange_credentials c ON c.id = o.credential_id
LEFT JOIN egress_routes r ON r.id = c.egress_route_id
LEFT JOIN LATERAL engaged_kill_switch(o.client_id, o.bot_id) k ON true
WHERE o.id = %(order_id)s;


-- name: pipeline_begin_submit
-- place_order's pre-send write, one statement: lock the row; only if it is still in the
-- status the snapshot's checks saw and no kill switch is engaged, move it to submitting
-- (attempt + 1) and log the change. submitted_at is the time of the last request that
-- could have created the order: it moves only when this attempt sends (from accepted),
-- not when it only looks a previous one up (from submitting or unknown).
-- No row back: something changed since the snapshot; the caller starts over.
WITH current AS (
    SELECT id, status FROM orders WHERE id = %(order_id)s FOR UPDATE
), moved AS (
    UPDATE orders o
    SET status = 'submitting',
        attempts = o.attempts + 1,
        submitted_at = CASE WHEN current.status = 'accepted' THEN now() ELSE o.submitted_at END
    FROM current
    WHERE o.id = current.id
      AND current.status = %(expected_status)s
      AND order_status_is_pre_venue(current.status)
      AND NOT EXISTS (SELECT 1 FROM engaged_kill_switch(o.client_id, o.bot_id))
    RETURNING o.attempts, current.status AS from_status
), logged AS (
    INSERT INTO order_events (order_id, kind, from_status, to_status, attempt, job_id)
    SELECT %(order_id)s, 'status_change', from_status, 'submitting', attempts, %(job_id)s
    FROM moved
)
SELECT attempts FROM moved;


-- name: pipeline_mark_sending
UPDATE orders SET submitted_at = now() WHERE id = %(order_id)s AND status = 'submitting';

-- name: pipeline_set_pre_venue_status
-- accepted (nothing was sent: send again), or unknown (it may exist: look it up first).
UPDATE orders
SET status = %(status)s,
    last_error_code = %(error_code)s,
    last_error_message = %(error_message)s
WHERE id = %(order_id)s AND order_status_is_pre_venue(status)
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

-- name: pipeline_apply_venue_order
-- The venue's view of an order in one statement: the row (status only forward, filled
-- amount only up), its trades (each once; one INSERT, as the statistics trigger on fills
-- runs per statement), the exchange call that brought the answer (when given) and the
-- status change, in that order in order_events, each saying which path (`via`: rest or
-- stream) brought it. A NULL status writes the trades alone (a stream's trade event).
-- Returns the status before and after.
--
-- A venue that reset its data (a wiped testnet, a restarted paper exchange) hands out its
-- ids again. When this order gets its venue id for the first time and an older order of
-- the credential held it before, the venue has reused the id: an older order still live
-- here is gone there, so it is closed as expired; both orders get an event saying so.
WITH prior AS (
    SELECT id, status, exchange_order_id FROM orders WHERE id = %(order_id)s FOR UPDATE
), earlier AS (
    SELECT o.id, o.status
    FROM orders o, prior
    WHERE prior.exchange_order_id IS NULL
      AND NOT order_status_is_terminal(prior.status)
      AND o.credential_id = %(credential_id)s::uuid
      AND o.symbol = %(symbol)s::text
      AND o.exchange_order_id = %(exchange_order_id)s::text
      AND o.exchange_order_id IS NOT NULL
      AND o.id <> prior.id
    ORDER BY o.id
    FOR UPDATE OF o
), retired AS (
    UPDATE orders o
    SET status = 'expired',
        closed_at = now(),
        last_error_code = 'venue_reset',
        last_error_message = 'the venue gave this order''s id to a newer order: it was reset'
    FROM earlier
    WHERE o.id = earlier.id AND NOT order_status_is_terminal(earlier.status)
    RETURNING o.id, earlier.status AS from_status
), moved AS (
    UPDATE orders o
    SET status = %(status)s,
        exchange_order_id = coalesce(o.exchange_order_id, %(exchange_order_id)s),
        venue_missing_since = NULL,
        filled_amount = greatest(o.filled_amount, %(filled)s),
        avg_fill_price = coalesce(%(average_price)s, o.avg_fill_price),
        reject_reason = CASE WHEN %(status)s = 'rejected'
                             THEN coalesce(o.reject_reason, 'venue_rejected')
                             ELSE o.reject_reason END,
        closed_at = CASE WHEN order_status_is_terminal(%(status)s::order_status)
                         THEN coalesce(o.closed_at, now()) ELSE o.closed_at END
    FROM prior
    WHERE o.id = prior.id
      -- No status (a stream's trade event): the fills alone. order_status_rank(NULL)
      -- is the terminal rank, so without this the row would get a NULL status.
      AND %(status)s::order_status IS NOT NULL
      AND NOT order_status_is_terminal(prior.status)
      AND order_status_rank(%(status)s::order_status) >= order_status_rank(prior.status)
      -- Sub-statements of one WITH run in no fixed order; reading `retired` here makes
      -- the older row leave the unique index of live venue ids before this row enters it.
      AND (SELECT count(*) FROM retired) >= 0
    RETURNING o.status, prior.status AS from_status
), new_fills AS (
    INSERT INTO fills
        (client_id, credential_id, order_id, bot_id, symbol, exchange_trade_id,
         exchange_order_id, side, price, amount, fee_amount, fee_currency, is_maker, traded_at)
    SELECT %(client_id)s::uuid, %(credential_id)s::uuid, %(order_id)s::uuid, %(bot_id)s::uuid,
           %(symbol)s::text, t.trade_id, t.exchange_order_id, t.side::order_side, t.price,
           t.amount, t.fee_amount, t.fee_currency, t.is_maker, t.traded_at
    FROM unnest(
        %(trade_ids)s::text[], %(exchange_order_ids)s::text[], %(sides)s::text[],
        %(prices)s::numeric[], %(amounts)s::numeric[], %(fee_amounts)s::numeric[],
        %(fee_currencies)s::text[], %(is_makers)s::boolean[], %(traded_ats)s::timestamptz[]
    ) AS t(trade_id, exchange_order_id, side, price, amount, fee_amount, fee_currency,
           is_maker, traded_at)
    ON CONFLICT (order_id, exchange_trade_id) WHERE order_id IS NOT NULL DO NOTHING
), logged AS (
    INSERT INTO order_events
        (order_id, kind, from_status, to_status, attempt, call, outcome, message, latency_ms,
         job_id, via)
    SELECT %(order_id)s::uuid, 'exchange_call'::order_event_kind, NULL::order_status,
           NULL::order_status, %(attempt)s::integer, %(call)s::text, 'ok'::call_outcome,
           %(call_message)s::text, %(latency_ms)s::integer, %(job_id)s::bigint, %(via)s::text
    WHERE %(call)s::text IS NOT NULL
    UNION ALL
    SELECT %(order_id)s::uuid, 'status_change'::order_event_kind, from_status, status,
           NULL, NULL, NULL, %(message)s::text, NULL, %(job_id)s::bigint, %(via)s::text
    FROM moved
    WHERE status <> from_status
    UNION ALL
    SELECT %(order_id)s::uuid, 'note'::order_event_kind, NULL, NULL, NULL, NULL, NULL,
           format('venue order id %%s was held before by order %%s of this credential: '
                  'the venue has reset its ids', %(exchange_order_id)s::text, earlier.id),
           NULL, %(job_id)s::bigint, %(via)s::text
    FROM earlier
    UNION ALL
    SELECT retired.id, 'status_change'::order_event_kind, retired.from_status,
           'expired'::order_status, NULL, NULL, NULL,
           format('venue_reset: the venue gave its id %%s to order %%s; it no longer has '
                  'this order', %(exchange_order_id)s::text, %(order_id)s::text),
           NULL, %(job_id)s::bigint, %(via)s::text
    FROM retired
)
SELECT prior.status AS before, moved.status AS after FROM prior LEFT JOIN moved ON true;



-- name: pipeline_venue_denies_order
-- The venue answered "no such order" for an order it acknowledged and we hold as live.
-- One answer proves little (a lookup may race the venue's own replication), so the first
-- starts a clock; a venue still denying the order after the settle time has lost it (its
-- data was reset) and the order is closed as expired, with the reason in order_events.
-- Logs the call that got the answer (when named); returns the status afterwards.
WITH prior AS (
    SELECT id, status, venue_missing_since FROM orders WHERE id = %(order_id)s FOR UPDATE
), moved AS (
    UPDATE orders o
    SET venue_missing_since = coalesce(prior.venue_missing_since, now()),
        status = CASE WHEN lost.yes THEN 'expired'::order_status ELSE o.status END,
        closed_at = CASE WHEN lost.yes THEN now() ELSE o.closed_at END,
        last_error_code = CASE WHEN lost.yes THEN 'venue_lost' ELSE o.last_error_code END,
        last_error_message = CASE WHEN lost.yes
                                  THEN 'the venue no longer knows this order'
                                  ELSE o.last_error_message END
    FROM prior,
         LATERAL (SELECT prior.venue_missing_since
                         <= now() - make_interval(secs => %(settle_s)s) AS yes) lost
    WHERE o.id = prior.id AND order_status_is_at_venue(prior.status)
    RETURNING o.status, prior.status AS from_status, o.venue_missing_since
), logged AS (
    INSERT INTO order_events
        (order_id, kind, from_status, to_status, call, outcome, message, latency_ms, job_id,
         via)
    SELECT %(order_id)s::uuid, 'exchange_call'::order_event_kind, NULL::order_status,
           NULL::order_status, %(call)s::text, 'ok'::call_outcome,
           'not found at the venue'::text, %(latency_ms)s::integer, %(job_id)s::bigint, 'rest'
    WHERE %(call)s::text IS NOT NULL
    UNION ALL
    SELECT %(order_id)s::uuid, 'status_change', from_status, status, NULL, NULL,
           format('venue_lost: the venue has denied this order since %%s; its data was '
                  'reset', venue_missing_since),
           NULL, %(job_id)s::bigint, 'rest'
    FROM moved
    WHERE status <> from_status
)
SELECT coalesce(moved.status, prior.status) FROM prior LEFT JOIN moved ON true;

-- name: pipeline_load_credential
-- With its egress route's sealed proxy URL, if it is assigned one.
SELECT c.id, c.client_id, c.exchange, c.environment, c.api_base_url, c.sealed_secret,
       c.key_id, c.revoked_at, c.egress_route_id, r.name AS egress_route,
       r.sealed_proxy_url, r.key_id AS route_key_id
FROM exchange_credentials c
LEFT JOIN egress_routes r ON r.id = c.egress_route_id
WHERE c.id = %(credential_id)s;

-- name: pipeline_lock_live_orders_of_credential
-- Every open order of a credential, locked in one statement in id order: the order every
-- multi-row lock of orders takes (one by one in another order, a reconciliation
-- deadlocked with a cancel over many orders).
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id
FROM orders o
WHERE o.credential_id = %(credential_id)s
  AND order_status_is_at_venue(o.status)
ORDER BY o.id
FOR UPDATE OF o;

-- name: pipeline_credentials_with_live_orders
-- For the reconciliation sweep: credentials whose open orders were not looked at lately.
-- A credential whose user-data stream is live is left to the stream (REST polling rests).
SELECT o.credential_id, count(*) AS live_orders
FROM orders o
WHERE order_status_is_at_venue(o.status)
  AND o.updated_at < now() - make_interval(secs => %(min_age_s)s)
  AND NOT EXISTS (
      SELECT 1 FROM user_streams s
      WHERE s.credential_id = o.credential_id
        AND s.state = 'live' AND s.lease_expires_at > now()
  )
GROUP BY o.credential_id;

-- name: pipeline_orders_without_live_job
-- Belt and braces: a live intent that no pending job will ever advance. A leg of an
-- order list goes out with its list, never by place_order (order_lists_without_live_job).
SELECT o.id,
       CASE WHEN order_status_is_pre_venue(o.status) THEN 'place_order'
            ELSE 'cancel_order' END AS task_name
FROM orders o
WHERE o.updated_at < now() - make_interval(secs => %(min_age_s)s)
  AND (
      (order_status_is_pre_venue(o.status) AND o.order_list_id IS NULL)
      OR (o.cancel_requested_at IS NOT NULL AND order_status_is_at_venue(o.status))
  )
  AND NOT EXISTS (
      SELECT 1 FROM procrastinate_jobs j
      WHERE j.args ->> 'order_id' = o.id::text AND j.status IN ('todo', 'doing')
  )
LIMIT %(limit)s;

-- name: pipeline_orders_by_client_order_ids
-- A user-data stream's events name orders by our client order id (unique per credential;
-- after a venue reset the venue's own ids may name other orders). Not locked: each
-- event's write locks its row.
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id
FROM orders o
WHERE o.credential_id = %(credential_id)s
  AND o.client_order_id = ANY(%(client_order_ids)s::text[]);

-- name: pipeline_orders_missing_fills
-- The credential's orders, changed within `within_s`, whose fills add up to less than
-- the filled amount the venue reported (a trade lost on its way in: a stream broken
-- between events, say). Not locked: the repair's writes are forward-only.
SELECT
    o.id, o.client_id, o.credential_id, o.bot_id, o.source, o.bot_tick, o.bot_leg, o.symbol,
    o.side, o.type, o.time_in_force, o.amount, o.price, o.idempotency_key, o.client_order_id,
    o.exchange_order_id, o.status, o.filled_amount, o.remaining_amount, o.avg_fill_price,
    o.attempts, o.last_error_code, o.last_error_message, o.reject_reason,
    o.cancel_requested_at, o.submitted_at, o.closed_at, o.created_at, o.updated_at,
    o.stop_price, o.signal_id, o.position_id, o.order_list_id
FROM orders o
WHERE o.filled_amount > 0
  AND o.updated_at > now() - make_interval(secs => %(within_s)s)
  AND o.credential_id = %(credential_id)s
  AND o.exchange_order_id IS NOT NULL
  AND o.filled_amount > coalesce((SELECT sum(f.amount) FROM fills f WHERE f.order_id = o.id), 0)
ORDER BY o.id;

-- name: pipeline_credentials_missing_fills
-- For the reconciliation sweep: credentials with an order missing fills (as above) that
-- has been so for `min_age_s` at least (a stream's fill is written within milliseconds).
SELECT DISTINCT o.credential_id
FROM orders o
WHERE o.filled_amount > 0
  AND o.updated_at > now() - make_interval(secs => %(within_s)s)
  AND o.updated_at < now() - make_interval(secs => %(min_age_s)s)
  AND o.exchange_order_id IS NOT NULL
  AND o.filled_amount > coalesce((SELECT sum(f.amount) FROM fills f WHERE f.order_id = o.id), 0);
