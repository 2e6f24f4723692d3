-- name: insert_bot
INSERT INTO bots (client_id, name, kind, exchange, symbol, credential_id, config, strategy_id)
VALUES (%(client_id)s, %(name)s, %(kind)s, %(exchange)s, %(symbol)s, %(credential_id)s,
        %(config)s, %(strategy_id)s)
RETURNING id, client_id, name, kind, exchange, symbol, credential_id, config, status,
          status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
          strategy_id;

-- name: get_bot
SELECT id, client_id, name, kind, exchange, symbol, credential_id, config, status,
       status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
       strategy_id
FROM bots
WHERE id = %(bot_id)s AND client_id = %(client_id)s;

-- name: lock_bot
SELECT id, client_id, name, kind, exchange, symbol, credential_id, config, status,
       status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
       strategy_id
FROM bots
WHERE id = %(bot_id)s AND client_id = %(client_id)s
FOR UPDATE;

-- name: list_bots
SELECT id, client_id, name, kind, exchange, symbol, credential_id, config, status,
       status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
       strategy_id
FROM bots
WHERE client_id = %(client_id)s
  AND (%(include_archived)s OR archived_at IS NULL)
ORDER BY created_at DESC, id DESC;

-- name: update_bot
UPDATE bots
SET name = coalesce(%(name)s, name),
    config = coalesce(%(config)s, config)
WHERE id = %(bot_id)s AND client_id = %(client_id)s AND archived_at IS NULL
RETURNING id, client_id, name, kind, exchange, symbol, credential_id, config, status,
          status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
          strategy_id;

-- name: set_bot_status
UPDATE bots
SET status = %(status)s, status_reason = %(status_reason)s
WHERE id = %(bot_id)s AND client_id = %(client_id)s
RETURNING id, client_id, name, kind, exchange, symbol, credential_id, config, status,
          status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
          strategy_id;

-- name: archive_bot
UPDATE bots
SET status = 'stopped',
    status_reason = 'archived',
    archived_at = coalesce(archived_at, now())
WHERE id = %(bot_id)s AND client_id = %(client_id)s
RETURNING id, client_id, name, kind, exchange, symbol, credential_id, config, status,
          status_reason, tick_number, last_tick_at, created_at, updated_at, archived_at,
          strategy_id;

-- name: bot_live_quotes
-- GET /v1/bots/{id}: the bot's orders that rest at the venue or may soon.
SELECT o.id, o.bot_leg AS leg, o.side, o.price, o.amount, o.amount - o.filled_amount AS remaining,
       o.status, o.cancel_requested_at IS NOT NULL AS cancel_requested, o.bot_tick AS tick_number
FROM orders o
WHERE o.bot_id = %(bot_id)s
  AND o.client_id = %(client_id)s
  AND NOT order_status_is_terminal(o.status)
ORDER BY o.side, o.price DESC, o.id;

-- name: bot_last_skip
SELECT t.tick_number, t.ticked_at, t.skip_reasons
FROM bot_ticks t
WHERE t.bot_id = %(bot_id)s
  AND t.client_id = %(client_id)s
  AND cardinality(t.skip_reasons) > 0
ORDER BY t.tick_number DESC
LIMIT 1;
